// SPDX-License-Identifier: MIT
// trit_dmem: the data memory (weights, constants) as one single-port RAM, 16-bit words, read
// data one cycle after the address: trit_ram with one address for both ports, so it is inferred
// as block RAM. The iCE40 UP5K build uses ice40/trit_dmem_spram.v instead (same ports), since
// only SPRAM is large enough.
`default_nettype none

module trit_dmem #(
  parameter integer DAW = 16,
  parameter integer Depth = 1 << DAW
) (
  input  wire           clk_i,
  input  wire [DAW-1:0] addr_i,
  input  wire [15:0]    wdata_i,
  input  wire           we_i,
  output wire [15:0]    rdata_o
);
  trit_ram #(.AW(DAW), .DW(16), .Depth(Depth)) u_ram (
    .clk_i(clk_i), .raddr_i(addr_i), .rdata_o(rdata_o),
    .we_i(we_i), .waddr_i(addr_i), .wdata_i(wdata_i)
  );
endmodule

`default_nettype wire
