// SPDX-License-Identifier: MIT
// trit_core: runs a compiled trit program — one instruction per IR node — over exact integers.
//
// Why a microcoded core and not one block per layer: on an iCE40 UP5K the weights (tens of
// thousands of 2-bit words) and the i32 constants fit only in SPRAM, the activations only in
// EBR, and the LUT budget holds one exact 64-bit fixed-point datapath, not one per node. So the
// compiler emits a program (docs/verilog.md), and this core walks it.
//
// The core is split the way serv is: this file is the sequencer — instruction fetch and decode,
// the loop counters, operand reads and the one state machine that walks every op — and it owns
// the memories' port registers. The units hold their own state and are driven by its strobes:
//   trit_host     commands and the word streams (LOAD, RUN, RESET, INFO), the cycle count
//   trit_alu      the one-cycle ops on a 33-bit adder (add … abs, max/min, sat, gather)
//   trit_rounder  the rounding shift, every IR rounding mode (trit_round), then trit_saturate
//   trit_mul32    the shared multiplier (mul, lut interpolation, Newton, gather rows, divround)
//   trit_divider  divround's quotient, exact, rounded half to even
//   trit_newton   recip/rsqrt's seeded Newton state (compiler/ir/newton.ts)
//   trit_matmul   the folded ternary unit: Lanes outputs at a time (trit_lanes), no multiplier
// Every value is a 32-bit word in vram; constants and weights live in the data memory (dmem,
// outside this module so each device can wrap its own RAM), loaded once by the LOAD command.
// Naming: `_q` a register, `_d` the value it takes at the next edge (`q <= d`, nothing else in
// the clocked blocks), `_i`/`_o` ports, plain names wires.
//
// Stream protocol (32-bit words, valid/ready): a command word, then its payload.
//   CMD_LOAD  (1): DmemWords/2 words, two 16-bit dmem words each (low half first) → ack.
//   CMD_RUN   (2): InCount input words → OutCount output words, then the cycle count.
//   CMD_RESET (3): zeroes the recurrent state → ack.
//   CMD_INFO  (4): → Signature.
// Reset is synchronous and active high; only control registers are reset.
`default_nettype none

module trit_core #(
  parameter integer AW         = 11,   // vram address bits (32-bit words)
  parameter integer DAW        = 16,   // dmem address bits (16-bit words)
  parameter integer BW         = 16,   // operand-B base bits: max(AW, DAW)
  parameter integer IAW        = 9,    // program address bits
  parameter integer XW         = 14,   // instruction extra field bits
  parameter integer Lanes      = 8,    // ternary output lanes (16-bit weight word / 2 bits)
  parameter integer AccW       = 32,   // lane accumulator bits: enough for every matmul's sum
  parameter integer InBase     = 0,
  parameter integer InCount    = 1,
  parameter integer OutBase    = 0,
  parameter integer OutCount   = 1,
  parameter integer StateBase  = 0,
  parameter integer StateCount = 0,
  parameter integer DmemWords  = 2,    // 16-bit words the LOAD command writes (even)
  parameter integer VramWords  = 1 << AW,
  parameter [31:0]  Signature  = 32'h0,
  parameter         ProgramFile = "program.hex",
  parameter integer ProgramLen = 1,
  // Bit k set: opcode k occurs in the program (hdl-gen/src/program.ts `opsUsed`). A unit whose
  // opcodes are all absent is never entered, so Yosys removes it: the core is specialised to the
  // model (docs/verilog.md §A core per model). All ones builds every unit.
  parameter [31:0]  Ops = 32'hFFFF_FFFF,
  // 1: the operands of the next element of a simple elementwise op are read while the current
  // one is computed (docs/verilog.md §Where the cycles go); 0: one element at a time.
  parameter integer Overlap = 1,
  // Bits of the divider's remainder: 2·|a|·k and b·2^16 of every divround fit (program.ts).
  parameter integer DivW = 48,
  // Derived: instruction layout (mirrored by hdl-gen/src/isa.ts).
  parameter integer FOp   = 0,
  parameter integer FRnd  = 5,
  parameter integer FSatB = 8,
  parameter integer FSh   = 10,
  parameter integer FAB   = 16,
  parameter integer FARs  = FAB + AW,
  parameter integer FACs  = FARs + AW,
  parameter integer FBB   = FACs + 1,
  parameter integer FBRs  = FBB + BW,
  parameter integer FBCs  = FBRs + AW + 1,
  parameter integer FBSrc = FBCs + 1,
  parameter integer FOB   = FBSrc + 1,
  parameter integer FORs  = FOB + AW,
  parameter integer FRows = FORs + AW,
  parameter integer FCols = FRows + AW,
  parameter integer FX    = FCols + AW,
  parameter integer IW    = FX + XW

) (
  input  wire           clk_i,
  input  wire           rst_i,
  // Command and data stream in.
  input  wire [31:0]    in_data_i,
  input  wire           in_valid_i,
  output wire           in_ready_o,
  // Results out.
  output wire [31:0]    out_data_o,
  output wire           out_valid_o,
  input  wire           out_ready_i,
  // Data memory (weights, constants): one port, read data one cycle after the address.
  output wire [DAW-1:0] dmem_addr_o,
  output wire [15:0]    dmem_wdata_o,
  output wire           dmem_we_o,
  input  wire [15:0]    dmem_rdata_i
);
  // ---------------------------------------------------------------- opcodes, rounding modes and
  // host commands: generated from hdl-gen/src/isa.ts (tools/gen-codes.ts), pinned by a test.
`include "trit_isa.vh"

  // ---------------------------------------------------------------- units this program uses
  localparam HasMul     = Ops[OpMul];
  localparam HasLut     = Ops[OpLut];
  localparam HasNewton  = Ops[OpRecip] || Ops[OpRsqrt];
  localparam HasGather  = Ops[OpGather];
  localparam HasSat     = Ops[OpSat];
  localparam HasMinMax  = Ops[OpMax] || Ops[OpMin];
  localparam HasRsum    = Ops[OpRsum];
  localparam HasArgmax  = Ops[OpArgmax];
  localparam HasReduce  = HasRsum || Ops[OpRmax] || Ops[OpRabsmax] || HasArgmax;
  localparam HasMatmul  = Ops[OpMatmul];
  localparam HasDiv     = Ops[OpDivround];
  localparam HasMul32   = HasMul || HasLut || HasNewton || HasGather || HasDiv;  // users of trit_mul32

  // ---------------------------------------------------------------- states, in the order an instruction walks them
  localparam [5:0]
    SIdle  = 6'd0,                                                   // the host unit has the memories
    SFetch = 6'd1,  SFetch2 = 6'd2, SDecode = 6'd3, SPro = 6'd4,     // fetch, decode, parameter words
    SRowStart = 6'd5,
    SGa    = 6'd6,  SGb  = 6'd7,  SGm  = 6'd8,  SGc  = 6'd9,          // gather: the row's base
    SRa    = 6'd10, SRb  = 6'd11, SRc  = 6'd12, SRd  = 6'd13,         // operand reads
    SX     = 6'd14, SMx  = 6'd15, SMul = 6'd16,                       // compute
    SDv    = 6'd17, SDvR = 6'd18, SDvS = 6'd19,                       // divround
    SRnd   = 6'd20, SCl  = 6'd21, SPw  = 6'd22,                       // round, clamp + write, wait
    SAcc   = 6'd23, SRed = 6'd24, SRowEnd = 6'd25,                    // reductions, next element/row
    SLut1  = 6'd26, STab = 6'd27, SLut2 = 6'd28,                      // lut; table reads
    SNr0   = 6'd29, SNr1 = 6'd30, SNr2 = 6'd31, SNr3 = 6'd32,         // recip / rsqrt
    SNr4   = 6'd33, SNr5 = 6'd34, SNr6 = 6'd35,
    SMm    = 6'd36, SMmWb = 6'd37;                                    // ternary matmul

  reg [5:0] st_q, st_d, ret_q, ret_d;

  // ---------------------------------------------------------------- program and vram
  // In EBR even when short: a ROM in logic costs ~3 LUTs per instruction bit (measured on a
  // 43-instruction program: 116 logic cells more than 5 EBR), and the fit check counts it as EBR.
  (* rom_style = "block" *) reg [IW-1:0] prog [0:ProgramLen-1];
  initial $readmemh(ProgramFile, prog);
  reg [IAW-1:0] pc_q, pc_d;
  reg [IW-1:0]  prog_q;
  // The ROM's output register holds the instruction for as long as pc_q stays put, which is the
  // whole instruction: no separate instruction register (saves ~IW logic cells).
  wire [IW-1:0] ins = prog_q;
  always @(posedge clk_i) prog_q <= prog[pc_q];

  reg  [AW-1:0] vr_addr_q, vr_addr_d, vw_addr_q, vw_addr_d;
  reg  [31:0]   vw_data_q, vw_data_d;
  reg           vw_en_q, vw_en_d;
  wire [31:0]   vr_data;
  trit_ram #(.AW(AW), .DW(32), .Depth(VramWords)) u_vram (
    .clk_i(clk_i), .raddr_i(vr_addr_q), .rdata_o(vr_data),
    .we_i(vw_en_q), .waddr_i(vw_addr_q), .wdata_i(vw_data_q)
  );
  reg  [DAW-1:0] dmem_addr_q, dmem_addr_d;
  assign dmem_addr_o = dmem_addr_q;

  // ---------------------------------------------------------------- instruction fields
  wire [4:0]    i_op    = ins[FOp +: 5];      // read in SDecode only: op_q from then on
  wire [2:0]    i_rnd   = ins[FRnd +: 3];
  wire [1:0]    i_satb  = ins[FSatB +: 2];   // saturate to i8/i16/i32 (1/2/3), 0: no
  wire [5:0]    i_sh    = ins[FSh +: 6];
  wire [AW-1:0] i_ab    = ins[FAB +: AW];
  wire [AW-1:0] i_ars   = ins[FARs +: AW];
  wire          i_acs   = ins[FACs];
  wire [BW-1:0] i_bb    = ins[FBB +: BW];
  wire [AW:0]   i_brs   = ins[FBRs +: AW + 1];
  wire          i_bcs   = ins[FBCs];
  wire          i_bsrc  = ins[FBSrc];
  wire [AW-1:0] i_ob    = ins[FOB +: AW];
  wire [AW-1:0] i_ors   = ins[FORs +: AW];
  wire [AW-1:0] i_rows  = ins[FRows +: AW];
  wire [AW-1:0] i_cols  = ins[FCols +: AW];
  wire [XW-1:0] i_x     = ins[FX +: XW];

  // The opcode and its classes, registered at decode: the program ROM's outputs are slow and far
  // from the datapath (EBR clock-to-out 1.2 ns plus ~3.5 ns of routing), and the decode LUTs behind
  // them led the routed critical paths (columns-mnist-up5k: ROM → op decode → ALU → wide_q, 41.5 ns).
  reg  [4:0] op_q, op_d;
  reg        red_q, red_d;       // a reduction (rsum, rmax, rabsmax, argmax)
  reg        pf_q, pf_d;         // a simple op: operand prefetch (below)
  wire is_reduce = HasReduce && red_q;
  wire is_matmul = HasMatmul && (op_q == OpMatmul);
  wire is_div    = HasDiv && (op_q == OpDivround);

  // ---------------------------------------------------------------- loop counters and pointers
  reg [AW-1:0] r_q, r_d, c_q, c_d;
  reg [AW-1:0] a_row_q, a_row_d, o_row_q, o_row_d;
  reg [BW-1:0] b_row_q, b_row_d;
  reg          next_el, next_row;  // set by a state: on to the next element / the next row
  wire last_c = (c_q == i_cols);
  wire last_r = (r_q == i_rows);
  wire [AW-1:0] pa = a_row_q + (i_acs ? c_q : {AW{1'b0}});
  wire [BW-1:0] c_ext = {{(BW - AW){1'b0}}, c_q};
  wire [BW-1:0] pb = b_row_q + (i_bcs ? (i_bsrc ? {c_ext[BW-2:0], 1'b0} : c_ext) : {BW{1'b0}});
  wire [AW-1:0] po = is_reduce ? o_row_q : o_row_q + c_q;
  wire [AW-1:0] n_out_m1 = i_x[AW-1:0]; // matmul: outputs − 1
  wire [BW-1:0] row_words = ({{(BW - AW){1'b0}}, i_cols} + 1'b1) << 1; // gather: words per table row

  // ---------------------------------------------------------------- operand prefetch
  // For the simple ops (one result per element, no reduction, table or Newton state) the loop
  // counters advance as soon as an element's operands are captured, and a small reader — steps
  // rd_q = 2, 3, 4, the first issued by SX — fetches the next element's operands while SX…SCl
  // compute the current one: 4 cycles an element instead of 9 when nothing is shifted. The
  // element being computed keeps its output address in o_addr_q. No read can see a stale value:
  // an element's operands are read before the previous element's result is written, and these
  // ops write element c only where no later element of the same instruction reads
  // (in place: over A(c) or B(c); otherwise into a fresh region).
  wire pf = pf_q;
  wire pf_op = (Overlap != 0) && ((i_op == OpAdd) || (i_op == OpSub) || (i_op == OpRsub) || (i_op == OpNeg) ||
               (i_op == OpAbs) || (i_op == OpMax) || (i_op == OpMin) || (i_op == OpShift) || (i_op == OpSat) ||
               (i_op == OpCopy) || (i_op == OpMul));
  reg [2:0]     rd_q, rd_d;              // reader step; 5: the next element's operands are captured
  reg [AW-1:0]  o_addr_q, o_addr_d;      // output address of the element being computed (from SX on)
  reg           final_q, final_d;        // it is the instruction's last element
  reg [AW-1:0]  o_next_q, o_next_d;      // the same two for the element whose operands were captured
  reg           fin_next_q, fin_next_d;  //   last (SRd or reader step 4), handed over at SX

  // ---------------------------------------------------------------- element registers
  reg signed [31:0] a_q, a_d;
  reg [15:0]        lo16_q, lo16_d;      // a dmem constant's low half
  reg [31:0]        b_q, b_d;            // operand B
  reg signed [63:0] wide_q, wide_d;      // what the rounder shifts
  reg signed [63:0] res_q, res_d;        // what it gave (or a unit's result)
  reg signed [31:0] addend_q, addend_d;  // lut: T[j], added after rounding the interpolation
  reg [5:0]         sh_q, sh_d;          // shift of the current rounding step
  reg [2:0]         rnd_q, rnd_d;        // its rounding mode
  reg signed [47:0] acc_q, acc_d;        // reductions: 32 + log2(K) bits, K < 2^AW
  reg               first_q, first_d;    // first element of a reduction row
  reg [AW-1:0]      arg_q, arg_d;
  reg [63:0]        pro_q, pro_d;        // prologue: sat lo, hi (2 × 32); or lut lo (48), last (16)
  reg [3:0]         pro_n_q, pro_n_d;
  reg [15:0]        lut_tab_q, lut_tab_d;// lut: dmem address of the table (shared between nodes)
  reg [DAW-1:0]     tab_q, tab_d;        // dmem address of a 32-bit table entry being read
  reg [2:0]         tab_k_q, tab_k_d;    // read cycle counter
  reg [2:0]         tab_words_q, tab_words_d; // how many 16-bit words to read (2 or 4)
  reg               lut_interp_q, lut_interp_d;
  reg [31:0]        lut_frac_q, lut_frac_d;
  reg signed [32:0] mul_a_q, mul_a_d, mul_b_q, mul_b_d;
  reg               mul_start_q, mul_start_d;

  // ---------------------------------------------------------------- units
  wire [AW-1:0]  h_vr_addr, h_vw_addr;
  wire [31:0]    h_vw_data;
  wire           h_vw_en, h_run;
  /* verilator lint_off UNUSEDSIGNAL */ // read by the simulation profile (TRIT_PROFILE) only
  wire [31:0]    h_cycles;
  wire           h_counting;
  /* verilator lint_on UNUSEDSIGNAL */
  wire [DAW-1:0] h_dm_addr;
  wire           seq_end = (st_q == SDecode) && (i_op == OpEnd);
  trit_host #(
    .AW(AW), .DAW(DAW), .InBase(InBase), .InCount(InCount), .OutBase(OutBase), .OutCount(OutCount),
    .StateBase(StateBase), .StateCount(StateCount), .DmemWords(DmemWords), .Signature(Signature)
  ) u_host (
    .clk_i(clk_i), .rst_i(rst_i),
    .in_data_i(in_data_i), .in_valid_i(in_valid_i), .in_ready_o(in_ready_o),
    .out_data_o(out_data_o), .out_valid_o(out_valid_o), .out_ready_i(out_ready_i),
    .vr_addr_o(h_vr_addr), .vr_data_i(vr_data), .vw_en_o(h_vw_en), .vw_addr_o(h_vw_addr), .vw_data_o(h_vw_data),
    .dm_addr_o(h_dm_addr), .dmem_we_o(dmem_we_o), .dmem_wdata_o(dmem_wdata_o),
    .run_o(h_run), .end_i(seq_end), .counting_o(h_counting), .cycles_o(h_cycles)
  );

  // Operand B as it is read; registered in SRd: the RAM outputs (SPRAM's especially) are too
  // slow to feed the operand mux and the adder in the same cycle (measured: 46 ns, 21 MHz).
  wire [31:0] b_rd = i_bsrc ? {dmem_rdata_i, lo16_q} : vr_data;
  wire        operands = (st_q == SRd) || (rd_q == 3'd4);   // an element's operands are captured
  wire [32:0] alu_sum, alu_res;
  trit_alu #(.Ops(Ops)) u_alu (
    .clk_i(clk_i), .op_i(op_q), .a_i(a_q), .b_rd_i(b_rd), .b_i(b_q), .sat_lo_i(pro_q[31:0]), .sat_hi_i(pro_q[63:32]),
    .load_i(operands), .cmp_i(st_q == SX), .sum_o(alu_sum), .res_o(alu_res)
  );
  wire signed [63:0] alu_wide = {{31{alu_res[32]}}, alu_res};

  wire               rnd_done;
  wire signed [63:0] rnd_sum;
  trit_rounder u_rnd (
    .clk_i(clk_i), .rst_i(rst_i), .start_i(st_q == SRnd), .wide_i(wide_q), .sh_i(sh_q), .rnd_i(rnd_q),
    .addend_i(addend_q), .done_o(rnd_done), .sum_o(rnd_sum)
  );
  // Saturation to ±(2^(b−1) − 1), as the result is written.
  wire [31:0] clamped;
  trit_saturate u_sat (.bits_i(i_satb), .v_i(res_q), .v_o(clamped));

  wire signed [63:0] mul_p;
  wire               mul_done;
  trit_mul32 u_mul (
    .clk_i(clk_i), .start_i(mul_start_q), .a_i(mul_a_q), .b_i(mul_b_q), .p_o(mul_p), .done_o(mul_done)
  );

  wire        div_last;
  wire [63:0] div_wide;
  wire [19:0] div_q;
  trit_divider #(.DivW(DivW)) u_div (
    .clk_i(clk_i), .start_i(st_q == SX && is_div), .i8_i(i_satb == 2'd1), .b_i(b_q), .neg_i(a_q[31]),
    .load_i(st_q == SMul && mul_done && is_div), .n_i(mul_p), .step_i(st_q == SDv), .last_o(div_last),
    .wide_o(div_wide), .mag_i(res_q[19:0]), .q_o(div_q)
  );

  // Newton's table words: the seed read by STab when the instruction is recip/rsqrt.
  wire               lut_read = HasLut && (!HasNewton || op_q == OpLut);
  wire               tab_word = (st_q == STab) && (tab_k_q >= 3'd2) && !lut_read;
  wire               nr_normal, nr_last, nr_recip, nr_half;
  wire [13:0]        nr_seed_off;
  wire signed [8:0]  nr_final_s;
  wire signed [32:0] nr_y;
  wire [32:0]        nr_mm, nr_sub;
  trit_newton #(.Ops(Ops)) u_newton (
    .clk_i(clk_i), .op_i(op_q), .sh_i(i_sh), .x_i(i_x), .a_i(a_q), .res_i(res_q[32:0]), .word_i(dmem_rdata_i),
    .init_i(st_q == SNr0), .norm_i(st_q == SNr1), .seed_i(st_q == SNr2),
    .y_lo_i(tab_word && !tab_k_q[0]), .y_hi_i(tab_word && tab_k_q[0]),
    .half_i(st_q == SNr5 && !nr_recip), .next_i(st_q == SNr6 && !nr_last),
    .normal_o(nr_normal), .seed_off_o(nr_seed_off), .last_o(nr_last), .recip_o(nr_recip), .half_o(nr_half),
    .final_s_o(nr_final_s), .y_o(nr_y), .mm_o(nr_mm), .sub_o(nr_sub)
  );

  wire           mm_issue, mm_drained, mm_group_end, mm_row_end;
  wire [AW-1:0]  mm_k, mm_out;
  wire [DAW-1:0] mm_wp;
  wire [31:0]    mm_acc;
  trit_matmul #(.AW(AW), .DAW(DAW), .Lanes(Lanes), .AccW(AccW)) u_mm (
    .clk_i(clk_i), .decode_i(st_q == SDecode), .group_i(st_q == SRowStart && is_matmul), .run_i(st_q == SMm),
    .wb_i(st_q == SMmWb), .cols_i(i_cols), .last_i(n_out_m1), .wbase_i(i_bb[DAW-1:0]),
    .w_i(dmem_rdata_i[2 * Lanes - 1:0]), .x_i(vr_data[AccW-1:0]),
    .issue_o(mm_issue), .k_o(mm_k), .wp_o(mm_wp), .drained_o(mm_drained), .out_o(mm_out), .acc_o(mm_acc),
    .group_end_o(mm_group_end), .row_end_o(mm_row_end)
  );

  // ---------------------------------------------------------------- lut helpers
  wire [15:0]        lut_last = pro_q[63:48];
  // d = x − lo in 50 bits: |lo| < 2^47 (the compiler checks).
  wire signed [49:0] lut_d = {{18{a_q[31]}}, a_q} - {{2{pro_q[47]}}, pro_q[47:0]};
  /* verilator lint_off UNUSEDSIGNAL */ // the top bits are unused when DAW < 32
  wire [31:0]        lut_last_words = {15'd0, lut_last, 1'b0};
  wire [31:0]        lut_tab32 = {16'd0, lut_tab_q};
  /* verilator lint_on UNUSEDSIGNAL */
  wire [DAW-1:0]     lut_tab = lut_tab32[DAW-1:0];
  wire [5:0]         lut_step = i_sh;
  reg  [31:0]        lut_fmask;
  integer            li;
  always @(*) begin
    for (li = 0; li < 32; li = li + 1) lut_fmask[li] = (li < lut_step);
  end

  // ---------------------------------------------------------------- the sequencer
  always @(*) begin
    st_d = st_q;  ret_d = ret_q;  pc_d = pc_q;  rd_d = rd_q;  op_d = op_q;  red_d = red_q;  pf_d = pf_q;
    vr_addr_d = vr_addr_q;  vw_en_d = 1'b0;  vw_addr_d = vw_addr_q;  vw_data_d = vw_data_q;
    dmem_addr_d = dmem_addr_q;
    r_d = r_q;  c_d = c_q;  a_row_d = a_row_q;  b_row_d = b_row_q;  o_row_d = o_row_q;
    o_addr_d = o_addr_q;  final_d = final_q;  o_next_d = o_next_q;  fin_next_d = fin_next_q;
    a_d = a_q;  lo16_d = lo16_q;  b_d = b_q;  wide_d = wide_q;  res_d = res_q;  addend_d = addend_q;
    sh_d = sh_q;  rnd_d = rnd_q;  acc_d = acc_q;  first_d = first_q;  arg_d = arg_q;
    pro_d = pro_q;  pro_n_d = pro_n_q;  lut_tab_d = lut_tab_q;
    tab_d = tab_q;  tab_k_d = tab_k_q;  tab_words_d = tab_words_q;
    lut_interp_d = lut_interp_q;  lut_frac_d = lut_frac_q;
    mul_a_d = mul_a_q;  mul_b_d = mul_b_q;  mul_start_d = 1'b0;
    next_el = 1'b0;  next_row = 1'b0;
    case (st_q)
      // ------------------------------------------------------------ the host unit has the memories
      SIdle: begin
        vr_addr_d   = h_vr_addr;
        vw_en_d     = h_vw_en;
        vw_addr_d   = h_vw_addr;
        vw_data_d   = h_vw_data;
        dmem_addr_d = h_dm_addr;
        if (h_run) begin pc_d = {IAW{1'b0}}; st_d = SFetch; end
      end

      // ------------------------------------------------------------ fetch, decode, parameter words
      SFetch:  st_d = SFetch2;            // program ROM read
      SFetch2: st_d = SDecode;
      SDecode: begin
        r_d = {AW{1'b0}};  c_d = {AW{1'b0}};
        a_row_d = i_ab;  b_row_d = i_bb;  o_row_d = i_ob;
        pro_n_d = 4'd0;  rd_d = 3'd0;
        op_d = i_op;  pf_d = pf_op;
        red_d = (i_op == OpRsum) || (i_op == OpRmax) || (i_op == OpRabsmax) || (i_op == OpArgmax);
        if (i_op == OpEnd) st_d = SIdle;  // the host unit sends the outputs (seq_end)
        else if ((HasSat && i_op == OpSat) || (HasLut && i_op == OpLut)) st_d = SPro;
        else st_d = SRowStart;
      end
      // Read the instruction's parameter words from dmem at B (sat bounds; lut lo, last).
      SPro: if (HasSat || HasLut) begin
        // Address n goes out at count n; its data is sampled at count n + 2.
        dmem_addr_d = i_bb[DAW-1:0] + {{(DAW - 4){1'b0}}, pro_n_q};
        if (pro_n_q >= 4'd2 && pro_n_q <= 4'd5) pro_d = {dmem_rdata_i, pro_q[63:16]};
        if (pro_n_q == 4'd6) lut_tab_d = dmem_rdata_i;  // lut: where the table is
        pro_n_d = pro_n_q + 4'd1;
        if (pro_n_q == ((op_q == OpSat) ? 4'd5 : 4'd6)) st_d = SRowStart;
      end
      SRowStart: begin
        first_d = 1'b1;  acc_d = 48'sd0;  arg_d = {AW{1'b0}};
        if (is_matmul) st_d = SMm;
        else if (HasGather && op_q == OpGather) st_d = SGa;
        else st_d = SRa;
      end

      // ------------------------------------------------------------ gather: row base from the id
      SGa: if (HasGather) begin vr_addr_d = a_row_q; st_d = SGb; end
      SGb: if (HasGather) st_d = SGm;
      SGm: if (HasGather) begin
        // Row base = table + id · words per row, on the multiplier (no second one in LUTs).
        mul_a_d = {1'b0, vr_data};  mul_b_d = {{(33 - BW){1'b0}}, row_words};  mul_start_d = 1'b1;
        sh_d = 6'd0;  rnd_d = RndFloor;  addend_d = 32'sd0;
        ret_d = SGc;  st_d = SMul;
      end
      SGc: if (HasGather) begin b_row_d = i_bb + res_q[BW-1:0]; st_d = SRa; end

      // ------------------------------------------------------------ operand reads
      SRa: begin vr_addr_d = pa;          dmem_addr_d = pb[DAW-1:0];        st_d = SRb; end
      SRb: begin vr_addr_d = pb[AW-1:0];  dmem_addr_d = pb[DAW-1:0] + 1'b1; st_d = SRc; end
      SRc: begin a_d = vr_data;  lo16_d = dmem_rdata_i;  st_d = SRd; end
      SRd: begin
        b_d = b_rd;  o_next_d = po;  fin_next_d = last_c && last_r;   // and the ALU's operands
        if (pf) begin next_el = 1'b1; next_row = last_c; end          // SRowEnd's step, taken early
        st_d = SX;
      end

      // ------------------------------------------------------------ compute
      SX: begin
        o_addr_d = o_next_q;  final_d = fin_next_q;
        // Prefetch: the next element's first reads (reader step 1), or none after the last.
        if (pf && !fin_next_q) begin vr_addr_d = pa; dmem_addr_d = pb[DAW-1:0]; rd_d = 3'd2; end
        else rd_d = 3'd0;
        addend_d = 32'sd0;  rnd_d = i_rnd;  sh_d = 6'd0;
        ret_d = SCl;  st_d = SRnd;
        case (op_q)
          OpMax, OpMin: if (HasMinMax) st_d = SMx;   // the ALU registers its choice now
          OpShift: begin wide_d = alu_wide; sh_d = i_sh; end
          OpMul: if (HasMul) begin
            mul_a_d = {a_q[31], a_q};  mul_b_d = {b_q[31], b_q};  mul_start_d = 1'b1;
            sh_d = i_sh;  st_d = SMul;
          end
          OpRsum, OpRmax, OpRabsmax, OpArgmax: if (HasReduce) begin wide_d = alu_wide; st_d = SAcc; end
          OpLut: if (HasLut) begin
            wide_d = {{14{lut_d[49]}}, lut_d};  sh_d = lut_step;  rnd_d = RndFloor;
            ret_d = SLut1;                                     // j = floor(d / 2^step)
          end
          OpRecip, OpRsqrt: if (HasNewton) st_d = SNr0;
          OpDivround: if (HasDiv) begin
            if ($signed(b_q) < 32'sd1) wide_d = 64'sd0;        // b <= 0: the quotient is 0
            else begin
              mul_a_d = alu_sum;  mul_b_d = {{(32 - XW){1'b0}}, i_x, 1'b0};   // |a|, 2k
              mul_start_d = 1'b1;  st_d = SMul;
            end
          end
          default: wide_d = alu_wide;
        endcase
      end
      // max/min, second cycle: the registered choice (a_q and b_q still hold this element's
      // operands: the prefetch reader overwrites a_q one cycle later).
      SMx: if (HasMinMax) begin wide_d = alu_wide; st_d = SRnd; end
      SMul: if (HasMul32 && mul_done) begin wide_d = mul_p; st_d = is_div ? SDv : SRnd; end

      // ------------------------------------------------------------ divround: quotient, round, sign
      SDv:  if (HasDiv && div_last) st_d = SDvR;
      SDvR: if (HasDiv) begin wide_d = div_wide; sh_d = 6'd2; ret_d = SDvS; st_d = SRnd; end
      SDvS: if (HasDiv) begin res_d = {{44{div_q[19]}}, div_q}; st_d = SCl; end

      // ------------------------------------------------------------ round, clamp and write
      SRnd: if (rnd_done) begin res_d = rnd_sum; st_d = ret_q; end
      SCl: begin
        vw_en_d = 1'b1;  vw_addr_d = o_addr_q;  vw_data_d = clamped;
        if (!pf) st_d = SRowEnd;
        else if (final_q) begin pc_d = pc_q + 1'b1; st_d = SFetch; end
        else st_d = (rd_q >= 3'd4) ? SX : SPw;   // step 4 completes at this edge
      end
      SPw: if (rd_q >= 3'd4) st_d = SX;

      // ------------------------------------------------------------ reductions over the last axis
      SAcc: if (HasReduce) begin
        first_d = 1'b0;
        if (HasRsum && op_q == OpRsum) acc_d = acc_q + wide_q[47:0];
        else if (op_q == OpRabsmax) begin if ($signed(wide_q[47:0]) > acc_q) acc_d = wide_q[47:0]; end
        else if (first_q || $signed(wide_q[47:0]) > acc_q) begin
          acc_d = wide_q[47:0];
          if (HasArgmax) arg_d = c_q;
        end
        if (last_c) st_d = SRed;
        else begin next_el = 1'b1; st_d = SRa; end
      end
      SRed: if (HasReduce) begin
        // A row is finished: round/clamp/write its accumulator (or argmax index) once.
        wide_d = (HasArgmax && op_q == OpArgmax) ? {{(64 - AW){1'b0}}, arg_q} : {{16{acc_q[47]}}, acc_q};
        sh_d = i_sh;  ret_d = SCl;  st_d = SRnd;   // reduce_sum's shift (0 for the others)
      end
      SRowEnd: begin
        if (is_reduce || last_c) begin
          next_row = 1'b1;
          if (last_r) begin pc_d = pc_q + 1'b1; st_d = SFetch; end
          else st_d = SRowStart;
        end else begin next_el = 1'b1; st_d = SRa; end
      end

      // ------------------------------------------------------------ lut: index, table reads, interpolation
      SLut1: if (HasLut) begin
        // res_q = j = floor(d / 2^step); wide_q still holds d.
        if (wide_q[63]) begin tab_d = lut_tab; lut_interp_d = 1'b0; end
        else if (res_q[63:16] != 48'd0 || res_q[15:0] >= lut_last) begin
          tab_d = lut_tab + lut_last_words[DAW-1:0]; lut_interp_d = 1'b0;
        end else begin
          tab_d = lut_tab + {res_q[DAW-2:0], 1'b0}; lut_interp_d = i_x[0];
        end
        lut_frac_d = wide_q[31:0] & lut_fmask;
        tab_k_d = 3'd0;  tab_words_d = 3'd4;  ret_d = SLut2;  st_d = STab;
      end
      // Reads tab_words_q 16-bit words from dmem at tab_q straight into their destinations —
      // lut: T[j] → addend, T[j+1] → multiplier A; seed: y (trit_newton) — then returns to ret_q.
      STab: if (HasLut || HasNewton) begin
        dmem_addr_d = tab_q;  tab_d = tab_q + 1'b1;
        if (tab_k_q >= 3'd2 && lut_read) begin
          case (tab_k_q[1:0])
            2'd2:    addend_d[15:0]  = dmem_rdata_i;
            2'd3:    addend_d[31:16] = dmem_rdata_i;
            2'd0:    mul_a_d[15:0]   = dmem_rdata_i;
            default: mul_a_d[32:16]  = {dmem_rdata_i[15], dmem_rdata_i};
          endcase
        end
        tab_k_d = tab_k_q + 1'b1;
        if (tab_k_q == tab_words_q + 3'd1) st_d = ret_q;
      end
      SLut2: if (HasLut) begin
        // addend_q = T[j], mul_a_q = T[j+1].
        rnd_d = RndHalfEven;  ret_d = SCl;
        if (lut_interp_q) begin
          mul_a_d = mul_a_q - {addend_q[31], addend_q};  mul_b_d = {1'b0, lut_frac_q};  mul_start_d = 1'b1;
          sh_d = lut_step;  st_d = SMul;
        end else begin
          addend_d = 32'sd0;  wide_d = {{32{addend_q[31]}}, addend_q};  sh_d = 6'd0;  st_d = SRnd;
        end
      end

      // ------------------------------------------------------------ recip / rsqrt (trit_newton)
      SNr0: if (HasNewton) st_d = SNr1;                      // m = max(x, 1), e = 30
      SNr1: if (HasNewton && nr_normal) st_d = SNr2;         // normalise one bit a cycle
      SNr2: if (HasNewton) begin                             // the seed: two words
        tab_d = i_bb[DAW-1:0] + {{(DAW - 14){1'b0}}, nr_seed_off};
        tab_k_d = 3'd0;  tab_words_d = 3'd2;  ret_d = SNr3;  st_d = STab;
      end
      SNr3: if (HasNewton) st_d = SNr4;
      SNr4: if (HasNewton) begin
        // One Newton step per pass; the last pass scales the result.
        rnd_d = RndHalfEven;  addend_d = 32'sd0;
        if (nr_last) begin
          // A negative shift is a left shift, done as a product so the rounder only shifts right.
          if (nr_final_s < 0) begin
            mul_a_d = nr_y;
            mul_b_d = (nr_final_s < -9'sd31) ? 33'sd0 : ($signed(33'sd1) <<< (-nr_final_s));
            mul_start_d = 1'b1;  sh_d = 6'd0;
            ret_d = (nr_final_s < -9'sd31) ? SNr6 : SCl;  st_d = SMul;
          end else begin
            wide_d = {{31{nr_y[32]}}, nr_y};
            // y < 2^31, so any shift past 63 rounds to zero exactly as a shift of 63 does.
            sh_d = (nr_final_s > 9'sd63) ? 6'd63 : nr_final_s[5:0];
            ret_d = SCl;  st_d = SRnd;
          end
        end else begin
          mul_start_d = 1'b1;  sh_d = 6'd30;  ret_d = SNr5;  st_d = SMul;
          if (nr_recip) begin mul_a_d = nr_mm; mul_b_d = nr_y; end
          else begin mul_a_d = nr_y; mul_b_d = nr_y; end
        end
      end
      SNr5: if (HasNewton) begin
        // recip: t = m·y → y·(2 − t). rsqrt: y² → M·y², then y·(3 − M·y²)/2.
        mul_start_d = 1'b1;  st_d = SMul;
        if (nr_recip) begin mul_a_d = nr_y; mul_b_d = nr_sub; ret_d = SNr6; end
        else if (!nr_half) begin mul_a_d = nr_mm; mul_b_d = res_q[32:0]; ret_d = SNr5; end
        else begin mul_a_d = nr_y; mul_b_d = nr_sub; sh_d = 6'd31; ret_d = SNr6; end
      end
      SNr6: if (HasNewton) begin
        // Last: a left shift past 31 bits, where only a saturated result can be correct.
        // Otherwise y = res, one more step (trit_newton).
        if (nr_last) begin res_d = 64'sh3FFF_FFFF_FFFF_FFFF; st_d = SCl; end
        else st_d = SNr4;
      end

      // ------------------------------------------------------------ ternary matmul: Lanes outputs at a time
      SMm: if (HasMatmul) begin
        if (mm_issue) begin vr_addr_d = a_row_q + mm_k; dmem_addr_d = mm_wp; end
        else if (mm_drained) st_d = SMmWb;
      end
      SMmWb: if (HasMatmul) begin
        vw_en_d = 1'b1;  vw_addr_d = o_row_q + mm_out;  vw_data_d = mm_acc;
        if (mm_group_end) begin
          if (!mm_row_end) st_d = SRowStart;
          else begin
            next_row = 1'b1;
            if (last_r) begin pc_d = pc_q + 1'b1; st_d = SFetch; end
            else st_d = SRowStart;
          end
        end
      end
      default: st_d = SIdle;
    endcase

    // -------------------------------------------------------------- the prefetch reader (steps 2–4)
    // Runs beside the states above; none of them drives these registers while it is busy.
    case (rd_q)
      3'd2: begin vr_addr_d = pb[AW-1:0]; dmem_addr_d = pb[DAW-1:0] + 1'b1; rd_d = 3'd3; end
      3'd3: begin a_d = vr_data; lo16_d = dmem_rdata_i; rd_d = 3'd4; end
      3'd4: begin
        b_d = b_rd;  o_next_d = po;  fin_next_d = last_c && last_r;   // and the ALU's operands
        next_el = 1'b1;  next_row = last_c;  rd_d = 3'd5;
      end
      default: ;
    endcase

    // -------------------------------------------------------------- loop counters
    if (next_row) begin
      c_d     = {AW{1'b0}};
      a_row_d = a_row_q + i_ars;
      b_row_d = b_row_q + {{(BW - AW - 1){1'b0}}, i_brs};
      o_row_d = o_row_q + i_ors;
      r_d     = r_q + 1'b1;
    end else if (next_el) c_d = c_q + 1'b1;
  end

  always @(posedge clk_i) begin
    ret_q <= ret_d;  op_q <= op_d;  red_q <= red_d;  pf_q <= pf_d;  vr_addr_q <= vr_addr_d;  vw_addr_q <= vw_addr_d;  vw_data_q <= vw_data_d;
    dmem_addr_q <= dmem_addr_d;
    r_q <= r_d;  c_q <= c_d;  a_row_q <= a_row_d;  b_row_q <= b_row_d;  o_row_q <= o_row_d;
    o_addr_q <= o_addr_d;  final_q <= final_d;  o_next_q <= o_next_d;  fin_next_q <= fin_next_d;
    a_q <= a_d;  lo16_q <= lo16_d;  b_q <= b_d;  wide_q <= wide_d;  res_q <= res_d;  addend_q <= addend_d;
    sh_q <= sh_d;  rnd_q <= rnd_d;  acc_q <= acc_d;  first_q <= first_d;  arg_q <= arg_d;
    pro_q <= pro_d;  pro_n_q <= pro_n_d;  lut_tab_q <= lut_tab_d;
    tab_q <= tab_d;  tab_k_q <= tab_k_d;  tab_words_q <= tab_words_d;
    lut_interp_q <= lut_interp_d;  lut_frac_q <= lut_frac_d;
    mul_a_q <= mul_a_d;  mul_b_q <= mul_b_d;
    if (rst_i) begin
      st_q <= SIdle;  pc_q <= {IAW{1'b0}};  rd_q <= 3'd0;  vw_en_q <= 1'b0;  mul_start_q <= 1'b0;
    end else begin
      st_q <= st_d;  pc_q <= pc_d;  rd_q <= rd_d;  vw_en_q <= vw_en_d;  mul_start_q <= mul_start_d;
    end
  end

`ifdef TRIT_PROFILE
  // Simulation only (hdl-gen/src/sim.ts): where each instruction starts, in cycles of the run,
  // so that the cycles of an inference can be split by op kind.
  always @(posedge clk_i) if (!rst_i && st_q == SDecode && h_counting) $display("trit-profile %0d %0d", pc_q, h_cycles);
`endif

endmodule

`default_nettype wire
