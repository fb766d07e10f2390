#!/usr/bin/env bash
# Installs what trit needs from Debian: the reference trainer's Python packages (models/setup.sh),
# the Verilog simulators the hardware tests use (Icarus Verilog, Verilator, the C++ compiler
# Verilator builds with) and Chromium, the real browser the demo's tests drive (through
# playwright-core, which never downloads a browser of its own). Yosys and nextpnr come from npm
# (@yowasp), not from here.
# Idempotent: does nothing when everything is already installed.
set -euo pipefail
cd "$(dirname "$0")"
bash models/setup.sh
if command -v iverilog >/dev/null && command -v verilator >/dev/null && command -v g++ >/dev/null && command -v make >/dev/null &&
   [ -x /usr/bin/chromium ]; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null || { echo "setup.sh: need root (or sudo) to apt-get install iverilog verilator g++ make chromium" >&2; exit 1; }
  SUDO=sudo
fi
echo "setup.sh: installing iverilog verilator g++ make chromium (Debian)…" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends iverilog verilator g++ make >/dev/null
# Chromium with its recommended fonts, so the browser tests' screenshots have legible text.
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
echo "setup.sh: $(iverilog -V 2>&1 | head -1); $(verilator --version); $(/usr/bin/chromium --version 2>/dev/null)" >&2
