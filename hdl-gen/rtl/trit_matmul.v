// SPDX-License-Identifier: MIT
// trit_matmul: the folded ternary matrix unit — for one row of inputs, Lanes outputs at a time.
// A group issues one input and its weight word per cycle (the sequencer sends k_o and wp_o to
// the memories); the lanes add them two edges later, when the RAMs' outputs are valid; after
// two cycles of drain the group's Lanes sums are written back one a cycle. The weights of a row
// of outputs are packed 2 bits per lane in 16-bit words, one word per input (docs/verilog.md).
`default_nettype none

module trit_matmul #(
  parameter integer AW    = 11,
  parameter integer DAW   = 16,
  parameter integer Lanes = 8,
  parameter integer AccW  = 32
) (
  input  wire                clk_i,
  input  wire                decode_i,   // a matmul instruction starts: first group, first weight
  input  wire                group_i,    // a group starts: lanes cleared, inputs from 0
  input  wire                run_i,      // issue or drain
  input  wire                wb_i,       // write back one lane
  input  wire [AW-1:0]       cols_i,     // inputs − 1
  input  wire [AW-1:0]       last_i,     // outputs − 1
  input  wire [DAW-1:0]      wbase_i,    // the matrix's first weight word
  input  wire [2*Lanes-1:0]  w_i,        // the weight word read with …
  input  wire [AccW-1:0]     x_i,        // … this input
  output wire                issue_o,    // run_i issues input k_o with weight word wp_o
  output wire [AW-1:0]       k_o,
  output wire [DAW-1:0]      wp_o,
  output wire                drained_o,  // the lanes hold the group's sums from the next edge
  output wire [AW-1:0]       out_o,      // output being written back, in the row
  output wire [31:0]         acc_o,      // its sum, sign-extended
  output wire                group_end_o,// this write-back is the group's last
  output wire                row_end_o   // … and the row's last group
);
  localparam integer SelW    = (Lanes > 1) ? $clog2(Lanes) : 1;
  localparam integer LanesM1 = Lanes - 1;
  localparam [3:0]   LastLane = LanesM1[3:0];

  reg           v1_q, v1_d, v2_q;     // an input issued one / two edges ago
  reg [AW-1:0]  k_q, k_d;             // inputs issued this group
  reg           issue_q, issue_d;
  reg [DAW-1:0] wp_q, wp_d;           // weight word pointer
  reg [AW-1:0]  out_q, out_d;         // output being written back: a row's outputs go out in order
  reg [3:0]     j_q, j_d;             // its lane
  reg [1:0]     drain_q, drain_d;

  assign issue_o     = issue_q;
  assign k_o         = k_q;
  assign wp_o        = wp_q;
  assign drained_o   = !issue_q && drain_q == 2'd1;
  assign out_o       = out_q;
  // The row ends with its last output, the group with its last lane or the row. Equalities of
  // registers only: `first output of the group + Lanes > last`, as this was first written, made
  // a chain of nine LUTs on the routed critical path (columns-mnist-up5k, 43.6 ns).
  assign row_end_o   = (out_q == last_i);
  assign group_end_o = (j_q == LastLane) || row_end_o;

  always @(*) begin
    v1_d    = 1'b0;
    k_d     = k_q;
    issue_d = issue_q;
    wp_d    = wp_q;
    out_d   = out_q;
    j_d     = j_q;
    drain_d = drain_q;
    if (decode_i) begin out_d = {AW{1'b0}}; wp_d = wbase_i; end
    if (group_i) begin k_d = {AW{1'b0}}; issue_d = 1'b1; drain_d = 2'd0; end
    if (run_i) begin
      if (issue_q) begin
        wp_d = wp_q + 1'b1;
        v1_d = 1'b1;
        k_d  = k_q + 1'b1;
        if (k_q == cols_i) issue_d = 1'b0;
      end else begin
        drain_d = drain_q + 2'd1;
        if (drain_q == 2'd1) j_d = 4'd0;
      end
    end
    if (wb_i) begin
      j_d   = j_q + 4'd1;
      out_d = out_q + 1'b1;
      if (row_end_o) begin out_d = {AW{1'b0}}; wp_d = wbase_i; end
    end
  end

  always @(posedge clk_i) begin
    v1_q    <= v1_d;
    v2_q    <= v1_q;
    k_q     <= k_d;
    issue_q <= issue_d;
    wp_q    <= wp_d;
    out_q   <= out_d;
    j_q     <= j_d;
    drain_q <= drain_d;
  end

  trit_lanes #(.Lanes(Lanes), .AccW(AccW)) u_lanes (
    .clk_i(clk_i), .clear_i(group_i), .add_i(v2_q), .w_i(w_i), .x_i(x_i), .sel_i(j_q[SelW-1:0]), .acc_o(acc_o)
  );
endmodule

`default_nettype wire
