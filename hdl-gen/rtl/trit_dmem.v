// SPDX-License-Identifier: MIT
// trit_dmem: the data memory (weights, constants) as one single-port RAM, 16-bit words, read
// data one cycle after the address. This portable form is inferred as block RAM; the iCE40 UP5K
// build uses ice40/trit_dmem_spram.v instead (same ports), since only SPRAM is large enough.
`default_nettype none

module trit_dmem #(
  parameter integer DAW = 16,
  parameter integer Depth = 1 << DAW
) (
  input  wire           clk_i,
  input  wire [DAW-1:0] addr_i,
  input  wire [15:0]    wdata_i,
  input  wire           we_i,
  output reg  [15:0]    rdata_o
);
  // Index with just the bits the depth needs (addresses beyond Depth are never used).
  localparam integer IdxW = (Depth > 1) ? $clog2(Depth) : 1;
  /* verilator lint_off UNUSEDSIGNAL */
  wire [DAW-1:0] addr = addr_i;
  /* verilator lint_on UNUSEDSIGNAL */
  reg [15:0] mem [0:Depth-1];
  always @(posedge clk_i) begin
    if (we_i) mem[addr[IdxW-1:0]] <= wdata_i;
    rdata_o <= mem[addr[IdxW-1:0]];
  end
endmodule

`default_nettype wire
