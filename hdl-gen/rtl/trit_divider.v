// SPDX-License-Identifier: MIT
// trit_divider: the quotient of divround, q = round_half_even(a·k / b) clamped to i8/i16
// (compiler/ir/arith.ts divRound). Restoring division of N = 2·|a|·k (from the multiplier) by
// b·2^i, one quotient bit a cycle. The extra factor 2 makes the last quotient bit the half bit
// and the remainder's OR the sticky bit, so the core's rounding shift (by 2, half-even) rounds
// it. Only as many bits as the clamp can tell apart: a quotient of 2^7 (i8) or 2^15 (i16) or
// more clamps, whatever its low bits; half-even is symmetric, so a < 0 negates the magnitude.
//
// The remainder has a register of its own rather than living in the sequencer's wide_q: measured on
// the UP5K (seed 1), in wide_q the LM took 22 and the MLP 55 logic cells fewer but routed at 25.78
// and 27.4 MHz instead of 27.45 and 28.14 — the subtractor then feeds wide_q's wide mux.
// Sequence: start_i (with a, b and the clamp), load_i (N from the multiplier), step_i until
// last_o, then wide_o goes to the rounder, and q_o is the signed result of its rounded output.
`default_nettype none

module trit_divider #(
  parameter integer DivW = 48    // remainder bits: 2·|a|·k and b·2^16 of every divround fit
) (
  input  wire            clk_i,
  input  wire            start_i,
  input  wire            i8_i,       // clamp to i8 (else i16)
  input  wire [31:0]     b_i,        // the divisor (> 0 when the division runs)
  input  wire            neg_i,      // a < 0
  input  wire            load_i,
  /* verilator lint_off UNUSEDSIGNAL */ // N < 2^DivW
  input  wire [63:0]     n_i,
  /* verilator lint_on UNUSEDSIGNAL */
  input  wire            step_i,
  output wire            last_o,     // this step decides the half bit
  output wire [63:0]     wide_o,     // quotient, half bit, sticky bit
  input  wire [19:0]     mag_i,      // the rounded magnitude
  output wire [19:0]     q_o
);
  reg [DivW-1:0] rem_q, rem_d;      // what is left of N
  reg [DivW-1:0] d_q, d_d;          // b · 2^i for the quotient bit i being decided
  reg [16:0]     quo_q, quo_d;      // quotient bits so far, the half bit last
  reg [4:0]      n_q, n_d;          // bits still to decide
  reg            neg_q, neg_d;

  /* verilator lint_off UNUSEDSIGNAL */
  wire [63:0]    b_sh = i8_i ? {24'd0, b_i, 8'd0} : {16'd0, b_i, 16'd0};
  /* verilator lint_on UNUSEDSIGNAL */
  wire [DivW:0]  diff = {1'b0, rem_q} - {1'b0, d_q};

  always @(*) begin
    rem_d = rem_q;
    d_d   = d_q;
    quo_d = quo_q;
    n_d   = n_q;
    neg_d = neg_q;
    if (start_i) begin
      d_d   = b_sh[DivW-1:0];
      n_d   = i8_i ? 5'd9 : 5'd17;
      neg_d = neg_i;
      quo_d = 17'd0;
    end
    if (load_i) rem_d = n_i[DivW-1:0];
    if (step_i) begin
      if (!diff[DivW]) rem_d = diff[DivW-1:0];
      quo_d = {quo_q[15:0], !diff[DivW]};
      d_d   = d_q >> 1;
      n_d   = n_q - 5'd1;
    end
  end

  always @(posedge clk_i) begin
    rem_q <= rem_d;
    d_q   <= d_d;
    quo_q <= quo_d;
    n_q   <= n_d;
    neg_q <= neg_d;
  end

  assign last_o = (n_q == 5'd1);
  assign wide_o = {46'd0, quo_q, |rem_q};
  assign q_o    = neg_q ? 20'd0 - mag_i : mag_i;
endmodule

`default_nettype wire
