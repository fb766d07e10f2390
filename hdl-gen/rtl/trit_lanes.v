// SPDX-License-Identifier: MIT
// trit_lanes: the folded ternary unit's accumulators — Lanes outputs at a time, one input per
// cycle. Each lane adds the input, subtracts it or keeps its sum, as its 2-bit weight says
// (00 = 0, 01 = +1, 11 = −1); no multiplier anywhere. The core selects one lane at a time to
// write back, sign-extended to a 32-bit vram word.
`default_nettype none

module trit_lanes #(
  parameter integer Lanes = 8,   // outputs per weight word: a 16-bit dmem word holds 8
  parameter integer AccW  = 32,  // accumulator bits: enough for every matmul's sum
  parameter integer SelW  = (Lanes > 1) ? $clog2(Lanes) : 1
) (
  input  wire                   clk_i,
  input  wire                   clear_i,   // start of a group: every lane to zero
  input  wire                   add_i,     // an input and its weight word are valid
  input  wire [2*Lanes-1:0]     w_i,
  input  wire signed [AccW-1:0] x_i,
  input  wire [SelW-1:0]        sel_i,
  output wire [31:0]            acc_o      // lane sel_i, sign-extended
);
  reg signed [AccW-1:0] acc_q [0:Lanes-1];
  integer j;
  always @(posedge clk_i) begin
    for (j = 0; j < Lanes; j = j + 1) begin
      if (clear_i) acc_q[j] <= {AccW{1'b0}};
      else if (add_i && w_i[2 * j +: 2] == 2'b01) acc_q[j] <= acc_q[j] + x_i;
      else if (add_i && w_i[2 * j +: 2] == 2'b11) acc_q[j] <= acc_q[j] - x_i;
    end
  end

  wire signed [AccW-1:0] sel = acc_q[sel_i];
  generate
    if (AccW < 32) begin : g_ext
      assign acc_o = {{(32 - AccW){sel[AccW-1]}}, sel};
    end else begin : g_full
      assign acc_o = sel[31:0];
    end
  endgenerate
endmodule

`default_nettype wire
