// SPDX-License-Identifier: MIT
// trit_saturate: a 64-bit result clamped to ±(2^(b−1) − 1) for b = 8, 16 or 32 (the `sat` flag
// of the IR), or its low 32 bits when no clamp is asked for. By sign bits rather than 64-bit
// comparators: the value is above the bound when it is positive with a one at or above bit b−1,
// below it when negative with a zero there or exactly −2^(b−1).
`default_nettype none

module trit_saturate (
  input  wire [1:0]  bits_i,    // 0: no clamp; 1, 2, 3: i8, i16, i32
  input  wire [63:0] v_i,
  output wire [31:0] v_o
);
  reg         ovf_pos, ovf_neg;
  reg  [31:0] bound;
  always @(*) begin
    case (bits_i)
      2'd1: begin
        ovf_pos = !v_i[63] && (|v_i[62:7]);
        ovf_neg = v_i[63] && (!(&v_i[62:7]) || v_i[6:0] == 7'd0);
        bound   = 32'd127;
      end
      2'd2: begin
        ovf_pos = !v_i[63] && (|v_i[62:15]);
        ovf_neg = v_i[63] && (!(&v_i[62:15]) || v_i[14:0] == 15'd0);
        bound   = 32'd32767;
      end
      default: begin
        ovf_pos = !v_i[63] && (|v_i[62:31]);
        ovf_neg = v_i[63] && (!(&v_i[62:31]) || v_i[30:0] == 31'd0);
        bound   = 32'h7fff_ffff;
      end
    endcase
  end
  assign v_o = (bits_i == 2'd0) ? v_i[31:0] : ovf_pos ? bound : ovf_neg ? (~bound + 32'd1) : v_i[31:0];
endmodule

`default_nettype wire
