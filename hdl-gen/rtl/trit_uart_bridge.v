// SPDX-License-Identifier: MIT
// trit_uart_bridge: UART bytes ↔ the core's 32-bit word streams, little-endian (byte 0 = bits 7:0).
`default_nettype none

module trit_uart_bridge #(
  parameter integer ClksPerBit = 104
) (
  input  wire        clk_i,
  input  wire        rst_i,
  input  wire        rx_i,
  output wire        tx_o,
  // Words to the core.
  output reg  [31:0] in_data_o,
  output reg         in_valid_o,
  input  wire        in_ready_i,
  // Words from the core.
  input  wire [31:0] out_data_i,
  input  wire        out_valid_i,
  output reg         out_ready_o
);
  wire [7:0] rx_byte;
  wire       rx_valid;
  trit_uart_rx #(.ClksPerBit(ClksPerBit)) u_rx (
    .clk_i(clk_i), .rst_i(rst_i), .rx_i(rx_i), .data_o(rx_byte), .valid_o(rx_valid)
  );
  // Assemble four bytes into a word; hold it until the core takes it. The host sends a command
  // and its payload and then waits for the reply, so bytes never arrive while a word is held.
  reg [1:0] rx_n_q;
  always @(posedge clk_i) begin
    if (rst_i) begin
      rx_n_q     <= 2'd0;
      in_valid_o <= 1'b0;
    end else begin
      if (in_valid_o && in_ready_i) in_valid_o <= 1'b0;
      if (rx_valid) begin
        in_data_o <= {rx_byte, in_data_o[31:8]};
        rx_n_q    <= rx_n_q + 2'd1;
        if (rx_n_q == 2'd3) in_valid_o <= 1'b1;
      end
    end
  end

  reg  [31:0] tx_word_q;
  reg  [2:0]  tx_n_q;      // bytes left to send
  wire        tx_ready;
  trit_uart_tx #(.ClksPerBit(ClksPerBit)) u_tx (
    .clk_i(clk_i), .rst_i(rst_i), .data_i(tx_word_q[7:0]), .valid_i(tx_n_q != 3'd0 && tx_ready),
    .ready_o(tx_ready), .tx_o(tx_o)
  );
  always @(posedge clk_i) begin
    if (rst_i) begin
      tx_n_q      <= 3'd0;
      out_ready_o <= 1'b0;
    end else begin
      out_ready_o <= (tx_n_q == 3'd0) && !out_ready_o;
      if (out_valid_i && out_ready_o) begin
        tx_word_q   <= out_data_i;
        tx_n_q      <= 3'd4;
        out_ready_o <= 1'b0;
      end else if (tx_n_q != 3'd0 && tx_ready) begin
        tx_word_q <= {8'd0, tx_word_q[31:8]};
        tx_n_q    <= tx_n_q - 3'd1;
      end
    end
  end
endmodule

`default_nettype wire
