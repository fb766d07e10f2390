// SPDX-License-Identifier: MIT
// trit_mul32: exact 33-bit signed × 33-bit signed → 64-bit product, 5 cycles, for the few
// elementwise products of the IR (mul, mulc, lut interpolation, the Newton steps).
//
// Works on magnitudes so each partial product is an unsigned 16×16, which Yosys maps onto one
// iCE40 SB_MAC16 (or a Xilinx DSP48) by inference; the caller guarantees |a|, |b| < 2^32 and
// |a·b| < 2^63.
`default_nettype none

module trit_mul32 (
  input  wire               clk_i,
  // Operands, sampled when start_i is high.
  input  wire               start_i,
  input  wire signed [32:0] a_i,
  input  wire signed [32:0] b_i,
  // Product, valid five cycles after start_i (done_o pulses).
  output reg  signed [63:0] p_o,
  output reg                done_o
);
  // Stage 1: magnitudes and the sign of the product.
  reg [31:0] a_mag_q, b_mag_q;
  reg        neg_q, v1_q;
  wire [31:0] a_abs = a_i[32] ? (~a_i[31:0] + 32'd1) : a_i[31:0];
  wire [31:0] b_abs = b_i[32] ? (~b_i[31:0] + 32'd1) : b_i[31:0];
  always @(posedge clk_i) begin
    a_mag_q <= a_abs;
    b_mag_q <= b_abs;
    neg_q   <= a_i[32] ^ b_i[32];
    v1_q    <= start_i;
  end

  // Stage 2: four 16×16 unsigned partial products (one DSP each).
  reg        neg2_q, v2_q;
  wire [31:0] p_ll, p_lh, p_hl, p_hh;
  trit_mul16 u_ll (.clk_i(clk_i), .a_i(a_mag_q[15:0]),  .b_i(b_mag_q[15:0]),  .p_o(p_ll));
  trit_mul16 u_lh (.clk_i(clk_i), .a_i(a_mag_q[15:0]),  .b_i(b_mag_q[31:16]), .p_o(p_lh));
  trit_mul16 u_hl (.clk_i(clk_i), .a_i(a_mag_q[31:16]), .b_i(b_mag_q[15:0]),  .p_o(p_hl));
  trit_mul16 u_hh (.clk_i(clk_i), .a_i(a_mag_q[31:16]), .b_i(b_mag_q[31:16]), .p_o(p_hh));
  always @(posedge clk_i) begin
    neg2_q <= neg_q;
    v2_q   <= v1_q;
  end

  // Stage 3: the sum of the two middle partials. Registered so each sum is a two-operand carry
  // chain (Yosys turns a multi-operand sum into a LUT tree). One product is in flight at a time
  // (the core waits for done_o), so the stage-2 partials still hold in stage 4.
  reg [32:0] mid_q;
  reg        neg3_q, v3_q;
  always @(posedge clk_i) begin
    mid_q  <= {1'b0, p_lh} + {1'b0, p_hl};
    neg3_q <= neg2_q;
    v3_q   <= v2_q;
  end

  // Stage 4: the magnitude. Stage 5: the sign. Two 64-bit carry chains in one cycle would be
  // ~50 ns on a UP5K (measured: 19 MHz), so each gets its own stage.
  reg [63:0] mag_q;
  reg        neg4_q, v4_q;
  always @(posedge clk_i) begin
    mag_q  <= {p_hh, p_ll} + {15'd0, mid_q, 16'd0};
    neg4_q <= neg3_q;
    v4_q   <= v3_q;
  end
  always @(posedge clk_i) begin
    p_o    <= neg4_q ? -$signed(mag_q) : $signed(mag_q);
    done_o <= v4_q;
  end
endmodule

`default_nettype wire
