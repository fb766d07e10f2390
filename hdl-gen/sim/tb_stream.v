// SPDX-License-Identifier: MIT
// tb_stream: Icarus testbench that connects trit_top's word streams to stdin/stdout, one hex
// word per line, so a host program can drive the design as it would drive the board.
// A word is read from stdin only when the core is ready for one; outputs are printed as they
// leave the core. End of input ends the simulation.
`timescale 1ns / 1ps
`default_nettype none

module tb_stream;
  reg         clk = 1'b0;
  reg         rst = 1'b1;
  reg  [31:0] in_data = 32'd0;
  reg         in_valid = 1'b0;
  wire        in_ready;
  wire [31:0] out_data;
  wire        out_valid;
  integer     rc;
  reg  [31:0] word;

  trit_top dut (
    .clk_i(clk), .rst_i(rst),
    .in_data_i(in_data), .in_valid_i(in_valid), .in_ready_o(in_ready),
    .out_data_o(out_data), .out_valid_o(out_valid), .out_ready_i(1'b1)
  );

  always #5 clk = ~clk;

`ifndef TRIT_NETLIST  // a synthesised netlist has no u_core hierarchy to trace
  // +trace prints each instruction as it starts (program counter, opcode, cycle).
  reg trace;
  integer cyc = 0;
  initial trace = $test$plusargs("trace");
  always @(posedge clk) begin
    cyc <= cyc + 1;
    if (trace && dut.u_core.vw_en_q)
      $display("# w %0d = %h", dut.u_core.vw_addr_q, dut.u_core.vw_data_q);
    if (trace && dut.u_core.st_q == 6'd3)  // SDecode
      $display("# pc %0d op %0d at cycle %0d", dut.u_core.pc_q, dut.u_core.ins[4:0], cyc);
  end
`endif

  always @(posedge clk) begin
    if (out_valid) begin
      $display("%08x", out_data);
      $fflush();
    end
  end

  reg fire;
  initial begin
    repeat (4) @(posedge clk);
    rst <= 1'b0;
    forever begin
      @(negedge clk);
      if (in_ready && !in_valid) begin
        rc = $fscanf(32'h8000_0000, "%h", word);
        if (rc != 1) $finish;
        in_data  = word;
        in_valid = 1'b1;
      end
      fire = in_valid && in_ready;   // the word is taken at the next rising edge
      @(posedge clk);
      #1;
      if (fire) in_valid = 1'b0;
    end
  end
endmodule

`default_nettype wire
