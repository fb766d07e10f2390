// SPDX-License-Identifier: MIT
// trit_ram: simple dual-port RAM, one write and one registered read per cycle. Written so Yosys
// infers iCE40 EBR (SB_RAM40_4K) or Xilinx block RAM; no initial contents.
`default_nettype none

module trit_ram #(
  parameter integer AW = 10,
  parameter integer DW = 32,
  parameter integer Depth = 1 << AW
) (
  input  wire          clk_i,
  input  wire [AW-1:0] raddr_i,
  output reg  [DW-1:0] rdata_o,
  input  wire          we_i,
  input  wire [AW-1:0] waddr_i,
  input  wire [DW-1:0] wdata_i
);
  // Index with just the bits the depth needs (addresses beyond Depth are never used).
  localparam integer IdxW = (Depth > 1) ? $clog2(Depth) : 1;
  /* verilator lint_off UNUSEDSIGNAL */
  wire [AW-1:0] ra = raddr_i, wa = waddr_i;
  /* verilator lint_on UNUSEDSIGNAL */
  reg [DW-1:0] mem [0:Depth-1];
  always @(posedge clk_i) begin
    if (we_i) mem[wa[IdxW-1:0]] <= wdata_i;
    rdata_o <= mem[ra[IdxW-1:0]];
  end
endmodule

`default_nettype wire
