// SPDX-License-Identifier: MIT
// trit_alu: the core's one-cycle operations on an element's operands a and b — add a+b, sub a−b
// (also the comparison of max/min), rsub b−a, neg 0−a, abs and |a| (rabsmax, divround) on one
// 33-bit adder; max/min, saturation to constant bounds, gather's copy of b. The result is 33 bits,
// sign-extended once by the sequencer (one wide mux, not one per op).
//
// The adder's operands are chosen from the operands as they are read (b_rd_i) and registered when
// load_i is high, so the carry chain starts at flip-flops: from the program ROM through the op
// decode it measured 44 ns (22.7 MHz); sat's comparisons are registered with them. max/min register
// their choice when cmp_i is high and select one cycle later: the comparison's carry chain followed by the select and the wide mux
// was the routed critical path (39.3 ns, 25.4 MHz on the UP5K).
`default_nettype none

module trit_alu #(
  parameter [31:0] Ops = 32'hFFFF_FFFF   // opcodes in the program (trit_core)
) (
  input  wire        clk_i,
  input  wire [4:0]  op_i,
  input  wire [31:0] a_i,        // operand a, registered
  input  wire [31:0] b_rd_i,     // operand b as it is read (RAM output or dmem constant)
  input  wire [31:0] b_i,        // operand b, registered
  input  wire [31:0] sat_lo_i,   // sat: the bounds
  input  wire [31:0] sat_hi_i,
  input  wire        load_i,     // register the adder's operands (a_i is this element's a)
  input  wire        cmp_i,      // register max/min's choice
  output wire [32:0] sum_o,      // the adder: for divround, |a|
  output reg  [32:0] res_o
);
`include "trit_isa.vh"
  localparam HasSat    = Ops[OpSat];
  localparam HasMinMax = Ops[OpMax] || Ops[OpMin];
  localparam HasGather = Ops[OpGather];
  localparam HasDiv    = Ops[OpDivround];

  reg  [32:0] x_d, y_d, x_q, y_q;
  reg         c_d, c_q;
  reg         take_b_q;          // max/min: the result is b
  wire [32:0] a33 = {a_i[31], a_i};
  wire [32:0] b33 = {b_rd_i[31], b_rd_i};
  wire        abs_a = (op_i == OpAbs) || (op_i == OpRabsmax) || (HasDiv && op_i == OpDivround);

  always @(*) begin
    x_d = a33;
    y_d = ~b33;
    c_d = 1'b1;
    case (op_i)
      OpAdd:  begin y_d = b33; c_d = 1'b0; end
      OpRsub: begin x_d = b33; y_d = ~a33; end
      default: if (op_i == OpNeg || abs_a) begin
        x_d = 33'd0; y_d = ~a33;
        if (abs_a && !a_i[31]) begin x_d = a33; y_d = 33'd0; c_d = 1'b0; end
      end
    endcase
  end

  // sat's comparisons, registered with the operands: a_i holds this element's a at load_i, the
  // bounds are constant for the instruction, so in the compute cycle only the select is left —
  // compare chain, select and the sequencer's wide mux in one cycle was the routed critical path
  // (mmfree-up5k-char, 40.9 ns).
  wire a_lt_lo = $signed(a_i) < $signed(sat_lo_i);
  wire a_gt_hi = $signed(a_i) > $signed(sat_hi_i);
  reg  lt_lo_q, gt_hi_q;

  always @(posedge clk_i) begin
    if (load_i) begin x_q <= x_d; y_q <= y_d; c_q <= c_d; end
    if (HasSat && load_i) begin lt_lo_q <= a_lt_lo; gt_hi_q <= a_gt_hi; end
    if (HasMinMax && cmp_i) take_b_q <= sum_o[32] ^ (op_i == OpMin);   // max: b when a < b; min: b when a >= b
  end

  // One carry chain with the carry-in folded in as a low bit (a three-operand sum would make Yosys
  // build a LUT compressor tree).
  /* verilator lint_off UNUSEDSIGNAL */
  wire [33:0] t = {x_q, 1'b1} + {y_q, c_q};
  /* verilator lint_on UNUSEDSIGNAL */
  assign sum_o = t[33:1];

  always @(*) begin
    case (op_i)
      OpAdd, OpSub, OpRsub, OpNeg, OpAbs, OpRabsmax: res_o = sum_o;
      OpMax, OpMin: res_o = (HasMinMax && take_b_q) ? {b_i[31], b_i} : a33;
      OpSat:        res_o = !HasSat ? a33 : lt_lo_q ? {sat_lo_i[31], sat_lo_i} : gt_hi_q ? {sat_hi_i[31], sat_hi_i} : a33;
      OpGather:     res_o = HasGather ? {b_i[31], b_i} : a33;
      default:      res_o = a33;
    endcase
  end
endmodule

`default_nettype wire
