// SPDX-License-Identifier: MIT
// trit_round: whether a right shift rounds its quotient up, for each of the IR's rounding modes
// (compiler/ir/arith.ts). The shift unit in trit_core leaves the half bit in q[0] and the OR of
// the bits below it in `sticky`; the sign is that of the value before the shift.
`default_nettype none

module trit_round (
  input  wire [2:0] mode_i,
  input  wire       neg_i,      // the shifted value was negative
  input  wire [1:0] q_i,        // q[1]: the quotient's low bit; q[0]: the half bit
  input  wire       sticky_i,   // any bit below the half bit
  output reg        up_o
);
`include "trit_isa.vh"
  always @(*) begin
    case (mode_i)
      RndTrunc:    up_o = neg_i & (q_i[0] | sticky_i);
      RndHalfUp:   up_o = q_i[0];
      RndHalfEven: up_o = q_i[0] & (sticky_i | q_i[1]);
      RndHalfAway: up_o = q_i[0] & (sticky_i | ~neg_i);
      default:     up_o = 1'b0; // floor
    endcase
  end
endmodule

`default_nettype wire
