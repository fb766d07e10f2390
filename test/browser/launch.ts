/**
 * @fileoverview Debian's chromium, headless, driven by playwright-core: the flags this machine
 * needs (no sandbox as root, no GPU, no background networking — the network is closed and
 * Chromium's own connections would fail many at a time) and a fresh user-data dir per launch.
 */
import { chromium, type BrowserContext } from 'playwright-core';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const CHROMIUM = process.env.TRIT_CHROMIUM ?? '/usr/bin/chromium';

export const CHROMIUM_FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
  '--no-first-run', '--disable-quic', '--disable-sync'];

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** Launches chromium with a new, empty profile; close() removes the profile. */
export async function launch(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: setup.sh installs Debian's chromium (or set TRIT_CHROMIUM)`);
  const profile = mkdtempSync(join(tmpdir(), 'trit-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS, viewport: { width: 1200, height: 900 },
  });
  return { context, close: async () => { await context.close(); rmSync(profile, { recursive: true, force: true }); } };
}
