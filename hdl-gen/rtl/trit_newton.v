// SPDX-License-Identifier: MIT
// trit_newton: the state of recip and rsqrt, seeded Newton steps exactly as compiler/ir/newton.ts
// computes them. The sequencer walks the steps (normalise, read the seed, one multiply pair per
// step, the final scaling) on the core's shared multiplier, table reader and rounder; this unit
// holds what those steps carry between them and the operands they need:
//   x normalised to m in [2^30, 2^31) with e = floor(log2 x); rsqrt's even exponent k and M = 2m
//   when the exponent is odd; the seed index from the lb bits below m's leading one; y, the
//   current estimate; the step count; the final shift s (negative: a left shift, done as a product).
// Instruction fields: sh[5:4] Newton steps, sh[3:0] seed index bits, x[6:0] and x[13:7] the
// fraction bits in and out (signed).
`default_nettype none

module trit_newton #(
  parameter [31:0] Ops = 32'hFFFF_FFFF
) (
  input  wire               clk_i,
  input  wire [4:0]         op_i,
  input  wire [5:0]         sh_i,
  input  wire [13:0]        x_i,
  input  wire [31:0]        a_i,        // the operand x
  input  wire [32:0]        res_i,      // the last rounded product
  input  wire [15:0]        word_i,     // a seed table word from the data memory
  // Steps, one strobe each (the sequencer's states SNr0 … SNr6 and its table reads).
  input  wire               init_i,     // m = max(x, 1), e = 30
  input  wire               norm_i,     // one bit of normalisation (while !normal_o)
  input  wire               seed_i,     // k, odd; the step count restarts
  input  wire               y_lo_i,     // y's low half from word_i
  input  wire               y_hi_i,     // y's high half from word_i
  input  wire               half_i,     // rsqrt: the first multiply of a step's pair is done
  input  wire               next_i,     // y = res, one more step
  output wire               normal_o,   // m has its leading one at bit 30
  output wire [13:0]        seed_off_o, // 16-bit word offset of the seed in its table
  output wire               last_o,     // every Newton step is done: scale
  output wire               recip_o,    // recip (else rsqrt)
  output wire               half_o,
  output wire signed [8:0]  final_s_o,  // the final right shift
  output wire signed [32:0] y_o,
  output wire [32:0]        mm_o,       // m (recip), M (rsqrt)
  output wire [32:0]        sub_o       // 2 − m·y (recip) or 3 − M·y² (rsqrt), in the step's fixed point
);
`include "trit_isa.vh"
  localparam HasRecip = Ops[OpRecip];
  localparam HasRsqrt = Ops[OpRsqrt];

  reg [31:0]        m_q, m_d;           // mantissa in [2^30, 2^31)
  reg               odd_q, odd_d;       // rsqrt: odd exponent, M = 2m
  reg [4:0]         e_q, e_d;           // floor(log2 x)
  reg signed [8:0]  k_q, k_d;           // rsqrt exponent (even)
  reg signed [32:0] y_q, y_d;
  reg [1:0]         it_q, it_d;
  reg               half_q, half_d;

  assign recip_o = HasRecip && (!HasRsqrt || op_i == OpRecip);
  wire signed [6:0] fin   = x_i[6:0];   // fraction bits in (signed)
  wire signed [6:0] fout  = x_i[13:7];  // fraction bits out (signed)
  wire signed [8:0] fin9  = {{2{fin[6]}}, fin};
  wire signed [8:0] fout9 = {{2{fout[6]}}, fout};
  wire signed [8:0] e9    = $signed({4'd0, e_q});
  wire              odd_e = e_q[0] ^ fin[0];

  // Seed index: the lb bits below the leading one of m.
  wire [3:0]  lb     = sh_i[3:0];
  wire [11:0] idx    = m_q[29:18] >> (4'd12 - lb);
  wire [12:0] lb_pow = 13'd1 << lb;
  assign seed_off_o = recip_o ? {1'b0, idx, 1'b0} : {{1'b0, idx} + (odd_e ? lb_pow : 13'd0), 1'b0};

  assign normal_o  = m_q[30];
  assign last_o    = (it_q == sh_i[5:4]);
  assign half_o    = half_q;
  assign y_o       = y_q;
  assign mm_o      = odd_q ? {m_q, 1'b0} : {1'b0, m_q};
  assign sub_o     = (recip_o ? 33'h0_8000_0000 : 33'h0_C000_0000) - res_i;
  // recip: s = 30 + e − fin − fout; rsqrt: s = 30 + k/2 − fout.
  assign final_s_o = recip_o ? $signed(9'sd30) + e9 - fin9 - fout9 : $signed(9'sd30) + (k_q >>> 1) - fout9;

  always @(*) begin
    m_d    = m_q;
    odd_d  = odd_q;
    e_d    = e_q;
    k_d    = k_q;
    y_d    = y_q;
    it_d   = it_q;
    half_d = half_q;
    if (init_i) begin
      m_d = ($signed(a_i) < 32'sd1) ? 32'd1 : a_i;   // x <= 0 counts as one LSB
      e_d = 5'd30;
    end
    if (norm_i && !m_q[30]) begin m_d = m_q << 1; e_d = e_q - 5'd1; end
    if (seed_i) begin
      k_d    = e9 - fin9 - ((e9 - fin9) & 9'sd1);
      odd_d  = !recip_o && odd_e;
      it_d   = 2'd0;
      half_d = 1'b0;
    end
    if (y_lo_i) y_d[15:0]  = word_i;
    if (y_hi_i) y_d[32:16] = {word_i[15], word_i};
    if (half_i) half_d = !half_q;
    if (next_i) begin y_d = res_i; it_d = it_q + 2'd1; end
  end

  always @(posedge clk_i) begin
    m_q    <= m_d;
    odd_q  <= odd_d;
    e_q    <= e_d;
    k_q    <= k_d;
    y_q    <= y_d;
    it_q   <= it_d;
    half_q <= half_d;
  end
endmodule

`default_nettype wire
