// SPDX-License-Identifier: MIT
// trit_uart_rx: 8N1 receiver. ClksPerBit = f_clk / baud. The input is synchronised with two
// flip-flops; each bit is sampled in its middle.
`default_nettype none

module trit_uart_rx #(
  parameter integer ClksPerBit = 104
) (
  input  wire       clk_i,
  input  wire       rst_i,
  input  wire       rx_i,
  output reg  [7:0] data_o,
  output reg        valid_o
);
  localparam integer CW = $clog2(ClksPerBit + 1);
  reg [1:0]    sync_q;
  reg [CW-1:0] cnt_q;
  reg [3:0]    bit_q;
  reg          busy_q;
  reg [7:0]    shift_q;
  always @(posedge clk_i) begin
    sync_q  <= {sync_q[0], rx_i};
    valid_o <= 1'b0;
    if (rst_i) begin
      busy_q <= 1'b0;
      sync_q <= 2'b11;
    end else if (!busy_q) begin
      if (!sync_q[1]) begin busy_q <= 1'b1; cnt_q <= ClksPerBit[CW-1:0] >> 1; bit_q <= 4'd0; end
    end else if (cnt_q != {CW{1'b0}}) begin
      cnt_q <= cnt_q - 1'b1;
    end else begin
      cnt_q <= ClksPerBit[CW-1:0] - 1'b1;
      bit_q <= bit_q + 4'd1;
      if (bit_q == 4'd0) begin
        if (sync_q[1]) busy_q <= 1'b0; // a glitch, not a start bit
      end else if (bit_q == 4'd9) begin
        busy_q  <= 1'b0;
        data_o  <= shift_q;
        valid_o <= sync_q[1];          // drop a frame without its stop bit
      end else begin
        shift_q <= {sync_q[1], shift_q[7:1]};
      end
    end
  end
endmodule

`default_nettype wire
