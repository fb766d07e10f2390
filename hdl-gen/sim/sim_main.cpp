// SPDX-License-Identifier: MIT
// Verilator harness with the same stdin/stdout protocol as tb_stream.v: one hex word per line.
// Built with -DTRIT_TRACE (and verilator --trace), it also writes a VCD of every signal to the
// path in $TRIT_VCD, two samples per clock cycle, for switching-activity counts (trit bench).
#include <cstdio>
#include <cstdint>
#include <cstdlib>
#include "Vtrit_top.h"
#include "verilated.h"
#ifdef TRIT_TRACE
#include "verilated_vcd_c.h"
#endif

int main(int argc, char** argv) {
  VerilatedContext ctx;
  ctx.commandArgs(argc, argv);
  Vtrit_top top(&ctx);
#ifdef TRIT_TRACE
  VerilatedVcdC* vcd = nullptr;
  if (const char* path = std::getenv("TRIT_VCD")) {
    ctx.traceEverOn(true);
    vcd = new VerilatedVcdC;
    top.trace(vcd, 99);
    vcd->open(path);
  }
  auto tick = [&]() {
    top.clk_i = 1; top.eval(); ctx.timeInc(1); if (vcd) vcd->dump(ctx.time());
    top.clk_i = 0; top.eval(); ctx.timeInc(1); if (vcd) vcd->dump(ctx.time());
  };
#else
  auto tick = [&]() {
    top.clk_i = 1; top.eval();
    top.clk_i = 0; top.eval();
  };
#endif
  top.clk_i = 0; top.rst_i = 1; top.in_valid_i = 0; top.out_ready_i = 1; top.eval();
  for (int i = 0; i < 4; i++) tick();
  top.rst_i = 0;
  for (;;) {
    if (top.in_ready_o && !top.in_valid_i) {
      unsigned w;
      if (scanf("%x", &w) != 1) break;
      top.in_data_i = w;
      top.in_valid_i = 1;
    }
    const bool in_fire = top.in_valid_i && top.in_ready_o;
    const bool out_fire = top.out_valid_o && top.out_ready_i;
    const uint32_t out = top.out_data_o;
    tick();
    if (in_fire) top.in_valid_i = 0;
    if (out_fire) { printf("%08x\n", out); fflush(stdout); }
  }
  top.final();
#ifdef TRIT_TRACE
  if (vcd) { vcd->close(); delete vcd; }
#endif
  return 0;
}
