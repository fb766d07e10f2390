// SPDX-License-Identifier: MIT
// trit_host: the core's command and stream unit — the host's side of the protocol (docs/verilog.md).
// It takes a command word, then its payload: LOAD writes the data memory, RESET zeroes the
// recurrent state, RUN writes the inputs, hands the program to the sequencer (run_o) and, when
// the sequencer decodes the program's end (end_i), sends the outputs and the cycle count.
// While it waits for the end, the sequencer owns the memories; otherwise the sequencer copies
// this unit's requests (vr_*, vw_*, dm_addr_o) into the shared port registers, so a memory port
// is driven by one register whoever asks.
`default_nettype none

module trit_host #(
  parameter integer AW         = 11,
  parameter integer DAW        = 16,
  parameter integer InBase     = 0,
  parameter integer InCount    = 1,
  parameter integer OutBase    = 0,
  parameter integer OutCount   = 1,
  parameter integer StateBase  = 0,
  parameter integer StateCount = 0,
  parameter integer DmemWords  = 2,
  parameter [31:0]  Signature  = 32'h0
) (
  input  wire           clk_i,
  input  wire           rst_i,
  input  wire [31:0]    in_data_i,
  input  wire           in_valid_i,
  output wire           in_ready_o,
  output wire [31:0]    out_data_o,
  output wire           out_valid_o,
  input  wire           out_ready_i,
  // Requests for the shared port registers, taken while the sequencer is idle.
  output reg  [AW-1:0]  vr_addr_o,
  input  wire [31:0]    vr_data_i,
  output reg            vw_en_o,
  output reg  [AW-1:0]  vw_addr_o,
  output reg  [31:0]    vw_data_o,
  output reg  [DAW-1:0] dm_addr_o,
  // The data memory's write side is this unit's alone.
  output wire           dmem_we_o,
  output wire [15:0]    dmem_wdata_o,
  // Program hand-over and the cycle counter.
  output reg            run_o,       // at this edge the sequencer starts at instruction 0
  input  wire           end_i,       // at this edge the sequencer has decoded the end
  output wire           counting_o,
  output wire [31:0]    cycles_o
);
`include "trit_isa.vh"
  localparam [31:0] Ack = 32'h7472_6974; // "trit"
  localparam [DAW:0] Two = 2;

  // States, in the order a command walks them.
  localparam [3:0]
    HCmd = 4'd0, HLoadLo = 4'd1, HLoadHi = 4'd2, HReset = 4'd3, HIn = 4'd4, HRun = 4'd5,
    HOut = 4'd6, HOutWait = 4'd7, HOutW = 4'd8, HSend = 4'd9;

  reg [3:0]     st_q, st_d;
  reg           in_ready_q, in_ready_d;
  reg [31:0]    out_data_q, out_data_d;
  reg           out_valid_q, out_valid_d;
  reg           counting_q, counting_d;
  reg [31:0]    cycles_q, cycles_d;
  reg [DAW:0]   load_n_q, load_n_d;     // dmem words written so far
  reg [AW-1:0]  io_n_q, io_n_d;         // state, input or output words so far
  reg [15:0]    word_hi_q, word_hi_d;   // LOAD: the high half of a stream word, written second
  reg           dmem_we_q, dmem_we_d;
  reg [15:0]    dmem_wdata_q, dmem_wdata_d;

  assign in_ready_o   = in_ready_q;
  assign out_data_o   = out_data_q;
  assign out_valid_o  = out_valid_q;
  assign dmem_we_o    = dmem_we_q;
  assign dmem_wdata_o = dmem_wdata_q;
  assign counting_o   = counting_q;
  assign cycles_o     = cycles_q;

  wire take = in_valid_i && in_ready_q;   // a stream word is accepted at this edge

  always @(*) begin
    st_d         = st_q;
    in_ready_d   = in_ready_q;
    out_data_d   = out_data_q;
    out_valid_d  = out_valid_q;
    counting_d   = counting_q;
    cycles_d     = counting_q ? cycles_q + 32'd1 : cycles_q;
    load_n_d     = load_n_q;
    io_n_d       = io_n_q;
    word_hi_d    = word_hi_q;
    dmem_we_d    = 1'b0;
    dmem_wdata_d = dmem_wdata_q;
    vr_addr_o    = OutBase[AW-1:0] + io_n_q;
    vw_en_o      = 1'b0;
    vw_addr_o    = InBase[AW-1:0] + io_n_q;
    vw_data_o    = in_data_i;
    dm_addr_o    = load_n_q[DAW-1:0];
    run_o        = 1'b0;
    case (st_q)
      HCmd: begin
        in_ready_d = 1'b1;
        if (take) begin
          in_ready_d = 1'b0;
          load_n_d   = {(DAW + 1){1'b0}};
          io_n_d     = {AW{1'b0}};
          case (in_data_i)
            CmdLoad:  if (DmemWords > 0) st_d = HLoadLo; else begin out_data_d = Ack; st_d = HSend; end
            CmdRun:   begin
              cycles_d   = 32'd0;
              counting_d = (InCount == 0);
              run_o      = (InCount == 0);
              st_d       = (InCount > 0) ? HIn : HRun;
            end
            CmdReset: if (StateCount > 0) st_d = HReset; else begin out_data_d = Ack; st_d = HSend; end
            CmdInfo:  begin out_data_d = Signature; st_d = HSend; end
            default:  st_d = HCmd;
          endcase
        end
      end
      HLoadLo: begin
        in_ready_d = 1'b1;
        if (take) begin
          in_ready_d   = 1'b0;
          word_hi_d    = in_data_i[31:16];
          dmem_wdata_d = in_data_i[15:0];
          dmem_we_d    = 1'b1;
          st_d         = HLoadHi;
        end
      end
      HLoadHi: begin
        dm_addr_o    = load_n_q[DAW-1:0] + 1'b1;
        dmem_wdata_d = word_hi_q;
        dmem_we_d    = 1'b1;
        load_n_d     = load_n_q + Two;
        if (load_n_q + Two >= DmemWords[DAW:0]) begin out_data_d = Ack; st_d = HSend; end
        else st_d = HLoadLo;
      end
      HReset: begin
        vw_en_o   = 1'b1;
        vw_addr_o = StateBase[AW-1:0] + io_n_q;
        vw_data_o = 32'd0;
        io_n_d    = io_n_q + 1'b1;
        if (io_n_q == StateCount[AW-1:0] - 1'b1) begin out_data_d = Ack; st_d = HSend; end
      end
      HIn: begin
        in_ready_d = 1'b1;
        if (take) begin
          vw_en_o = 1'b1;
          io_n_d  = io_n_q + 1'b1;
          if (io_n_q == InCount[AW-1:0] - 1'b1) begin
            in_ready_d = 1'b0;
            counting_d = 1'b1;
            run_o      = 1'b1;
            st_d       = HRun;
          end
        end
      end
      HRun: if (end_i) begin counting_d = 1'b0; io_n_d = {AW{1'b0}}; st_d = HOut; end
      HOut: st_d = HOutWait;                 // vr_addr_o: output word io_n_q
      HOutWait: st_d = HOutW;
      HOutW: begin
        out_data_d  = vr_data_i;
        out_valid_d = 1'b1;
        if (out_valid_q && out_ready_i) begin
          out_valid_d = 1'b0;
          io_n_d      = io_n_q + 1'b1;
          if (io_n_q == OutCount[AW-1:0] - 1'b1) begin out_data_d = cycles_q; st_d = HSend; end
          else st_d = HOut;
        end
      end
      HSend: begin
        out_valid_d = 1'b1;
        if (out_valid_q && out_ready_i) begin out_valid_d = 1'b0; st_d = HCmd; end
      end
      default: st_d = HCmd;
    endcase
  end

  always @(posedge clk_i) begin
    load_n_q     <= load_n_d;
    io_n_q       <= io_n_d;
    word_hi_q    <= word_hi_d;
    out_data_q   <= out_data_d;
    dmem_wdata_q <= dmem_wdata_d;
    if (rst_i) begin
      st_q        <= HCmd;
      in_ready_q  <= 1'b0;
      out_valid_q <= 1'b0;
      counting_q  <= 1'b0;
      cycles_q    <= 32'd0;
      dmem_we_q   <= 1'b0;
    end else begin
      st_q        <= st_d;
      in_ready_q  <= in_ready_d;
      out_valid_q <= out_valid_d;
      counting_q  <= counting_d;
      cycles_q    <= cycles_d;
      dmem_we_q   <= dmem_we_d;
    end
  end
endmodule

`default_nettype wire
