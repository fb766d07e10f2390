/**
 * @fileoverview Text from files made safe for a terminal: node names, tensor names, model names and
 * tokenizer pieces come from files a user did not write, and an escape sequence in one would be
 * executed by the terminal that prints it.
 */

// C0 controls but tab and newline, DEL, and the C1 controls (U+0080–U+009F: 0x9b is a one-byte CSI).
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/** `s` with every control character but tab and newline written as \xNN. A chunk that starts with
 *  '\r' keeps it: that is the CLI's own progress counter redrawing its line. */
export function printable(s: string): string {
  const lead = s.startsWith('\r') ? '\r' : '';
  return lead + s.slice(lead.length).replace(CONTROL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
