// SPDX-License-Identifier: MIT
// trit_uart_tx: 8N1 transmitter with a valid/ready byte input.
`default_nettype none

module trit_uart_tx #(
  parameter integer ClksPerBit = 104
) (
  input  wire       clk_i,
  input  wire       rst_i,
  input  wire [7:0] data_i,
  input  wire       valid_i,
  output wire       ready_o,
  output reg        tx_o
);
  localparam integer CW = $clog2(ClksPerBit + 1);
  reg [CW-1:0] cnt_q;
  reg [3:0]    bit_q;
  reg          busy_q;
  reg [8:0]    shift_q;
  assign ready_o = !busy_q;
  always @(posedge clk_i) begin
    if (rst_i) begin
      busy_q <= 1'b0;
      tx_o   <= 1'b1;
    end else if (!busy_q) begin
      tx_o <= 1'b1;
      if (valid_i) begin
        busy_q  <= 1'b1;
        shift_q <= {1'b1, data_i};
        tx_o    <= 1'b0;                // start bit
        cnt_q   <= ClksPerBit[CW-1:0] - 1'b1;
        bit_q   <= 4'd0;
      end
    end else if (cnt_q != {CW{1'b0}}) begin
      cnt_q <= cnt_q - 1'b1;
    end else begin
      cnt_q   <= ClksPerBit[CW-1:0] - 1'b1;
      tx_o    <= shift_q[0];
      shift_q <= {1'b1, shift_q[8:1]};
      bit_q   <= bit_q + 4'd1;
      if (bit_q == 4'd9) begin busy_q <= 1'b0; tx_o <= 1'b1; end
    end
  end
endmodule

`default_nettype wire
