// SPDX-License-Identifier: MIT
// trit_dmem_spram: the data memory on iCE40 UP5K SPRAM — the device wrapper, the only file that
// names a vendor primitive. Up to four SB_SPRAM256KA (16K × 16 each) side by side in the address
// space; the top two address bits pick the block. SPRAM cannot be initialised by the bitstream,
// which is why the core loads its data memory over the stream (CMD_LOAD).
`default_nettype none

module trit_dmem_spram #(
  parameter integer DAW = 16,          // 14 + log2(blocks)
  parameter integer Depth = 1 << DAW
) (
  input  wire           clk_i,
  input  wire [DAW-1:0] addr_i,
  input  wire [15:0]    wdata_i,
  input  wire           we_i,
  output wire [15:0]    rdata_o
);
  localparam integer Blocks = (Depth + 16383) / 16384;
  localparam integer SelW = (DAW > 14) ? DAW - 14 : 1;
  wire [15:0] rd [0:Blocks-1];
  reg  [SelW-1:0] sel_q;
  always @(posedge clk_i) sel_q <= (DAW > 14) ? addr_i[DAW-1:DAW-SelW] : {SelW{1'b0}};
  genvar b;
  generate
    for (b = 0; b < Blocks; b = b + 1) begin : g_block
      wire hit = (DAW > 14) ? (addr_i[DAW-1:DAW-SelW] == b) : 1'b1;
      SB_SPRAM256KA u_spram (
        .ADDRESS(addr_i[13:0]),
        .DATAIN(wdata_i),
        .MASKWREN(4'b1111),
        .WREN(we_i & hit),
        .CHIPSELECT(hit),
        .CLOCK(clk_i),
        .STANDBY(1'b0),
        .SLEEP(1'b0),
        .POWEROFF(1'b1),
        .DATAOUT(rd[b])
      );
    end
  endgenerate
  assign rdata_o = rd[sel_q];
endmodule

`default_nettype wire
