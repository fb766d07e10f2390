#!/usr/bin/env bash
# Installs what trit needs from Debian: the reference trainer's Python packages (models/setup.sh)
# and the Verilog simulators the hardware tests use (Icarus Verilog, Verilator, the C++ compiler
# Verilator builds with). Yosys and nextpnr come from npm (@yowasp), not from here.
# Idempotent: does nothing when everything is already installed.
set -euo pipefail
cd "$(dirname "$0")"
bash models/setup.sh
if command -v iverilog >/dev/null && command -v verilator >/dev/null && command -v g++ >/dev/null && command -v make >/dev/null; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null || { echo "setup.sh: need root (or sudo) to apt-get install iverilog verilator g++ make" >&2; exit 1; }
  SUDO=sudo
fi
echo "setup.sh: installing iverilog verilator g++ make (Debian)…" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends iverilog verilator g++ make >/dev/null
echo "setup.sh: $(iverilog -V 2>&1 | head -1); $(verilator --version)" >&2
