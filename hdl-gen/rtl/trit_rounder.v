// SPDX-License-Identifier: MIT
// trit_rounder: the core's rounding shift — sum = round(wide / 2^sh) + addend, in any of the IR's
// rounding modes (compiler/ir/arith.ts). It shifts 16, 4 or 1 places a cycle (at most 9 cycles
// for sh <= 63) and keeps the half bit and the sticky OR of the bits below it; trit_round decides
// whether to round up. A 64-bit barrel shifter and its masks cost ~600 logic cells, which the
// UP5K does not have to spare.
//
// Timing: the sequencer holds start_i high from its first cycle in the rounding state until
// done_o; wide_i, sh_i, rnd_i and addend_i stay put meanwhile. A shift of 0 takes 2 cycles.
`default_nettype none

module trit_rounder (
  input  wire               clk_i,
  input  wire               rst_i,
  input  wire               start_i,
  input  wire signed [63:0] wide_i,
  input  wire [5:0]         sh_i,
  input  wire [2:0]         rnd_i,
  input  wire signed [31:0] addend_i,   // added after rounding (lut: T[j])
  output wire               done_o,     // sum_o is valid in this cycle
  output wire signed [63:0] sum_o
);
  localparam [1:0] PIdle = 2'd0, PShift = 2'd1, PSum = 2'd2;

  reg [1:0]         ph_q, ph_d;
  reg signed [63:0] q_q, q_d;
  reg [5:0]         rem_q, rem_d;       // places to shift before the half bit reaches bit 0
  reg               sticky_q, sticky_d;
  reg               up_q, up_d;
  wire              round_up;

  trit_round u_round (.mode_i(rnd_i), .neg_i(wide_i[63]), .q_i(q_q[1:0]), .sticky_i(sticky_q), .up_o(round_up));

  always @(*) begin
    ph_d     = ph_q;
    q_d      = q_q;
    rem_d    = rem_q;
    sticky_d = sticky_q;
    up_d     = up_q;
    case (ph_q)
      PIdle: if (start_i) begin
        q_d      = wide_i;
        sticky_d = 1'b0;
        up_d     = 1'b0;
        rem_d    = sh_i - 6'd1;
        ph_d     = (sh_i == 6'd0) ? PSum : PShift;
      end
      PShift: begin
        if (rem_q >= 6'd16) begin
          sticky_d = sticky_q | (|q_q[15:0]); q_d = q_q >>> 16; rem_d = rem_q - 6'd16;
        end else if (rem_q >= 6'd4) begin
          sticky_d = sticky_q | (|q_q[3:0]); q_d = q_q >>> 4; rem_d = rem_q - 6'd4;
        end else if (rem_q != 6'd0) begin
          sticky_d = sticky_q | q_q[0]; q_d = q_q >>> 1; rem_d = rem_q - 6'd1;
        end else begin
          up_d = round_up;                  // q_q[0] is the half bit now
          q_d  = q_q >>> 1;
          ph_d = PSum;
        end
      end
      default: ph_d = PIdle;                // PSum: the sequencer takes sum_o at this edge
    endcase
  end

  always @(posedge clk_i) begin
    q_q      <= q_d;
    rem_q    <= rem_d;
    sticky_q <= sticky_d;
    up_q     <= up_d;
    ph_q     <= rst_i ? PIdle : ph_d;
  end

  assign done_o = (ph_q == PSum);
  // q + addend + up on one carry chain: the carry-in folded in as a low bit.
  /* verilator lint_off UNUSEDSIGNAL */ // bit 0 only carries the carry-in
  wire [64:0] sum_up = {q_q, 1'b1} + {{{32{addend_i[31]}}, addend_i}, up_q};
  /* verilator lint_on UNUSEDSIGNAL */
  assign sum_o = sum_up[64:1];
endmodule

`default_nettype wire
