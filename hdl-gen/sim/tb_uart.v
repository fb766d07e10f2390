// SPDX-License-Identifier: MIT
// tb_uart: a host-side transmitter sends 16 words as bytes into trit_uart_bridge, whose word
// stream loops back into its transmitter; a host-side receiver checks every byte comes back.
`timescale 1ns / 1ps
`default_nettype none

module tb_uart;
  localparam integer Cpb = 8; // clocks per bit: a fast baud rate keeps the simulation short
  reg        clk = 1'b0, rst = 1'b1;
  always #5 clk = ~clk;

  // Host transmitter → bridge rx.
  reg  [7:0] h_data;
  reg        h_valid = 1'b0;
  wire       h_ready, line_to_fpga, line_to_host;
  trit_uart_tx #(.ClksPerBit(Cpb)) host_tx (.clk_i(clk), .rst_i(rst), .data_i(h_data), .valid_i(h_valid), .ready_o(h_ready), .tx_o(line_to_fpga));

  // The bridge, looped back: every word it receives it sends.
  wire [31:0] w;
  wire        w_valid, w_ready;
  trit_uart_bridge #(.ClksPerBit(Cpb)) dut (
    .clk_i(clk), .rst_i(rst), .rx_i(line_to_fpga), .tx_o(line_to_host),
    .in_data_o(w), .in_valid_o(w_valid), .in_ready_i(w_ready),
    .out_data_i(w), .out_valid_i(w_valid), .out_ready_o(w_ready)
  );

  // Host receiver.
  wire [7:0] r_data;
  wire       r_valid;
  trit_uart_rx #(.ClksPerBit(Cpb)) host_rx (.clk_i(clk), .rst_i(rst), .rx_i(line_to_host), .data_o(r_data), .valid_o(r_valid));

  reg [7:0] sent [0:63];
  integer   ns = 0, nr = 0, bad = 0, i;
  always @(posedge clk) if (r_valid) begin
    if (r_data !== sent[nr]) bad = bad + 1;
    nr = nr + 1;
  end

  initial begin
    for (i = 0; i < 64; i = i + 1) sent[i] = (i * 37 + 11) & 8'hff;
    repeat (4) @(posedge clk);
    rst = 1'b0;
    for (i = 0; i < 64; i = i + 1) begin
      @(negedge clk);
      while (!h_ready) @(negedge clk);
      h_data = sent[i]; h_valid = 1'b1;
      @(negedge clk) h_valid = 1'b0;
      // The host waits for each word's echo before the next (the protocol's request/reply).
      if (i % 4 == 3) while (nr < i + 1) @(negedge clk);
    end
    repeat (20 * Cpb) @(posedge clk);
    if (nr == 64 && bad == 0) $display("PASS 16 words");
    else $display("FAIL received %0d bytes, %0d wrong", nr, bad);
    $finish;
  end
endmodule

`default_nettype wire
