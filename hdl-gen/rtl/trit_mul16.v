// SPDX-License-Identifier: MIT
// trit_mul16: one registered 16×16 unsigned product — one SB_MAC16 / DSP48 by inference. Kept as
// its own module so Yosys maps exactly the product and its register into the DSP and does not
// fold the adders after it in (which, in Yosys 0.55, left an undriven DSP output).
`default_nettype none

(* keep_hierarchy *)
module trit_mul16 (
  input  wire        clk_i,
  input  wire [15:0] a_i,
  input  wire [15:0] b_i,
  output reg  [31:0] p_o
);
  always @(posedge clk_i) p_o <= a_i * b_i;
endmodule


`default_nettype wire
