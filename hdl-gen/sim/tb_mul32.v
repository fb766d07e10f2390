// SPDX-License-Identifier: MIT
// tb_mul32: feeds trit_mul32 one operand pair at a time from vec.hex (two 33-bit hex numbers a
// line) and prints each 64-bit product in hex, in order. +n=<count> pairs.
`timescale 1ns / 1ps
`default_nettype none

module tb_mul32;
  reg                clk = 1'b0;
  reg                start = 1'b0;
  reg  signed [32:0] a = 33'sd0, b = 33'sd0;
  wire signed [63:0] p;
  wire               done;
  reg  [32:0]        va [0:4095];
  reg  [32:0]        vb [0:4095];
  integer            n, i, fd, rc, got;

  trit_mul32 dut (.clk_i(clk), .start_i(start), .a_i(a), .b_i(b), .p_o(p), .done_o(done));
  always #5 clk = ~clk;

  always @(posedge clk) if (done) begin $display("%016x", p); got = got + 1; end

  initial begin
    got = 0;
    if (!$value$plusargs("n=%d", n)) n = 0;
    fd = $fopen("vec.hex", "r");
    for (i = 0; i < n; i = i + 1) rc = $fscanf(fd, "%h %h", va[i], vb[i]);
    // One product in flight at a time, as the core uses it (trit_mul32.v relies on that).
    for (i = 0; i < n; i = i + 1) begin
      @(negedge clk);
      a = va[i]; b = vb[i]; start = 1'b1;
      @(negedge clk) start = 1'b0;
      while (got <= i) @(negedge clk);
    end
    repeat (2) @(posedge clk);
    $finish;
  end
endmodule

`default_nettype wire
