// SPDX-License-Identifier: MIT
// trit_core: runs a compiled trit program — one instruction per IR node — over exact integers.
//
// Why a microcoded core and not one block per layer: on an iCE40 UP5K the weights (tens of
// thousands of 2-bit words) and the i32 constants fit only in SPRAM, the activations only in
// EBR, and the LUT budget holds one exact 64-bit fixed-point datapath, not one per node. So the
// compiler emits a program (docs/verilog.md), and this core walks it:
//   * a folded ternary unit: LANES output lanes, one input per cycle, weights packed 2 bits per
//     lane in 16-bit data-memory words (00 = 0, 01 = +1, 11 = −1);
//   * an elementwise unit that computes, per element, the IR's exact semantics: 64-bit products,
//     every rounding mode, saturation, table lookups with linear interpolation, the seeded
//     Newton recip/rsqrt of compiler/ir/newton.ts, reductions and copies.
// Every value is a 32-bit word in vram; constants and weights live in the data memory (dmem,
// outside this module so each device can wrap its own RAM), loaded once by the LOAD command.
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
  output reg            in_ready_o,
  // Results out.
  output reg  [31:0]    out_data_o,
  output reg            out_valid_o,
  input  wire           out_ready_i,
  // Data memory (weights, constants): one port, read data one cycle after the address.
  output reg  [DAW-1:0] dmem_addr_o,
  output reg  [15:0]    dmem_wdata_o,
  output reg            dmem_we_o,
  input  wire [15:0]    dmem_rdata_i
);
  // ---------------------------------------------------------------- opcodes, rounding modes and
  // host commands: generated from hdl-gen/src/isa.ts (tools/gen-codes.ts), pinned by a test.
`include "trit_isa.vh"
  localparam [31:0] Ack = 32'h7472_6974; // "trit"

  // ---------------------------------------------------------------- units this program uses
  localparam HasMul     = Ops[OpMul];
  localparam HasLut     = Ops[OpLut];
  localparam HasRecip   = Ops[OpRecip];
  localparam HasRsqrt   = Ops[OpRsqrt];
  localparam HasNewton  = HasRecip || HasRsqrt;
  localparam HasGather  = Ops[OpGather];
  localparam HasSat     = Ops[OpSat];
  localparam HasMinMax  = Ops[OpMax] || Ops[OpMin];
  localparam HasRsum    = Ops[OpRsum];
  localparam HasArgmax  = Ops[OpArgmax];
  localparam HasReduce  = HasRsum || Ops[OpRmax] || Ops[OpRabsmax] || HasArgmax;
  localparam HasMatmul  = Ops[OpMatmul];
  localparam HasDiv     = Ops[OpDivround];
  localparam HasMul32   = HasMul || HasLut || HasNewton || HasGather || HasDiv;  // users of trit_mul32

  // ---------------------------------------------------------------- states
  localparam [5:0]
    SCmd = 6'd0, SLoadLo = 6'd1, SLoadHi = 6'd2, SReset = 6'd3, SIn = 6'd4, SFetch = 6'd5,
    SDecode = 6'd6, SPro = 6'd7, SRowStart = 6'd8, SRa = 6'd9, SRb = 6'd10, SRc = 6'd11,
    SX = 6'd12, SMul = 6'd13, SSh1 = 6'd14, SSh2 = 6'd15, SCl = 6'd16, SAcc = 6'd17,
    SRowEnd = 6'd18, SGa = 6'd19, SGb = 6'd20, SLut1 = 6'd21, SLut2 = 6'd22, STab = 6'd23,
    SRed = 6'd24, SNr0 = 6'd25, SNr1 = 6'd26, SNr2 = 6'd27, SNr3 = 6'd28, SNr4 = 6'd29,
    SNr5 = 6'd30, SNr6 = 6'd31, SMm = 6'd32, SMmWb = 6'd33, SOut = 6'd34, SOutW = 6'd35,
    SSend = 6'd36, SNext = 6'd37, SFetch2 = 6'd38, SOutWait = 6'd39, SShL = 6'd40, SGc = 6'd41, SRd = 6'd42,
    SPw = 6'd43, SMx = 6'd44, SDv = 6'd45, SDvR = 6'd46, SDvS = 6'd47;

  reg [5:0] st_q, ret_q;

  // ---------------------------------------------------------------- program and vram
  // In EBR even when short: a ROM in logic costs ~3 LUTs per instruction bit (measured on a
  // 43-instruction program: 116 logic cells more than 5 EBR), and the fit check counts it as EBR.
  (* rom_style = "block" *) reg [IW-1:0] prog [0:ProgramLen-1];
  initial $readmemh(ProgramFile, prog);
  reg [IAW-1:0] pc_q;
  reg [IW-1:0]  prog_q;
  // The ROM's output register holds the instruction for as long as pc_q stays put, which is the
  // whole instruction: no separate instruction register (saves ~IW logic cells). Naming: `_q` a
  // register, `_d` the combinational value a register takes, `_i`/`_o` ports; plain names wires.
  wire [IW-1:0] ins = prog_q;
  always @(posedge clk_i) prog_q <= prog[pc_q];

  reg  [AW-1:0] vr_addr_q, vw_addr_q;
  reg  [31:0]   vw_data_q;
  reg           vw_en_q;
  wire [31:0]   vr_data;
  trit_ram #(.AW(AW), .DW(32), .Depth(VramWords)) u_vram (
    .clk_i(clk_i), .raddr_i(vr_addr_q), .rdata_o(vr_data),
    .we_i(vw_en_q), .waddr_i(vw_addr_q), .wdata_i(vw_data_q)
  );

  // ---------------------------------------------------------------- instruction fields
  wire [4:0]    i_op    = ins[FOp +: 5];
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

  wire is_reduce = HasReduce && ((i_op == OpRsum) || (i_op == OpRmax) || (i_op == OpRabsmax) || (i_op == OpArgmax));

  // ---------------------------------------------------------------- loop counters and pointers
  reg [AW-1:0] r_q, c_q;
  reg [AW-1:0] a_row_q, o_row_q;
  reg [BW-1:0] b_row_q;
  wire last_c = (c_q == i_cols);
  wire last_r = (r_q == i_rows);
  wire [AW-1:0] pa = a_row_q + (i_acs ? c_q : {AW{1'b0}});
  wire [BW-1:0] c_ext = {{(BW - AW){1'b0}}, c_q};
  wire [BW-1:0] pb = b_row_q + (i_bcs ? (i_bsrc ? {c_ext[BW-2:0], 1'b0} : c_ext) : {BW{1'b0}});
  wire [AW-1:0] po = is_reduce ? o_row_q : o_row_q + c_q;

  // ---------------------------------------------------------------- operand prefetch
  // For the simple ops (one result per element, no reduction, table or Newton state) the loop
  // counters advance as soon as an element's operands are captured, and a small reader — steps
  // rd_q = 2, 3, 4, the first issued by SX — fetches the next element's operands while SX…SCl
  // compute the current one: 4 cycles an element instead of 9 when nothing is shifted. The
  // element being computed keeps its output address in o_addr_q. No read can see a stale value:
  // an element's operands are read before the previous element's result is written, and these
  // ops write element c only where no later element of the same instruction reads
  // (in place: over A(c) or B(c); otherwise into a fresh region).
  wire pf = (Overlap != 0) && ((i_op == OpAdd) || (i_op == OpSub) || (i_op == OpRsub) || (i_op == OpNeg) ||
            (i_op == OpAbs) || (i_op == OpMax) || (i_op == OpMin) || (i_op == OpShift) || (i_op == OpSat) ||
            (i_op == OpCopy) || (i_op == OpMul));
  reg [2:0]     rd_q;          // reader step; 5: the next element's operands are captured
  reg [AW-1:0]  o_addr_q;      // output address of the element being computed (from SX on)
  reg           final_q;       // it is the instruction's last element
  reg [AW-1:0]  o_next_q;      // the same two for the element whose operands were captured last
  reg           fin_next_q;    //   (SRd or reader step 4), handed over at SX

  // ---------------------------------------------------------------- datapath registers
  reg signed [31:0] a_q;
  reg [15:0]        lo16_q;        // a dmem constant's low half
  reg [31:0]        b_q;           // operand B
  reg signed [63:0] wide_q, res_q;
  reg signed [31:0] addend_q;      // lut: T[j], added after rounding the interpolation
  reg signed [47:0] acc_q;         // reductions: 32 + log2(K) bits, K < 2^AW
  reg signed [7:0]  sh_q;          // shift of the current rounding step
  reg [2:0]         rnd_q;         // its rounding mode
  reg               first_q;       // first element of a reduction row
  reg [AW-1:0]      arg_q;
  reg [63:0]        pro_q;         // prologue: sat lo, hi (2 × 32); or lut lo (48), last (16)
  reg [15:0]        lut_tab_q;     // lut: dmem address of the table (shared between nodes)
  /* verilator lint_off UNUSEDSIGNAL */
  wire [31:0]       lut_tab32 = {16'd0, lut_tab_q};
  /* verilator lint_on UNUSEDSIGNAL */
  wire [DAW-1:0]    lut_tab = lut_tab32[DAW-1:0];
  reg [3:0]         pro_n_q;
  reg [DAW-1:0]     tab_q;         // dmem address of a 32-bit table entry being read
  reg [2:0]         tab_k_q;       // read cycle counter
  reg [2:0]         tab_words_q;   // how many 16-bit words to read (2 or 4)
  reg signed [32:0] mul_a_q, mul_b_q;
  reg               mul_start_q;
  wire signed [63:0] mul_p;
  wire               mul_done;
  trit_mul32 u_mul (
    .clk_i(clk_i), .start_i(mul_start_q), .a_i(mul_a_q), .b_i(mul_b_q), .p_o(mul_p), .done_o(mul_done)
  );

  // Newton unit registers.
  reg [31:0]        nr_m_q;        // mantissa in [2^30, 2^31)
  reg               nr_odd_q;      // rsqrt: odd exponent, M = 2m
  wire [32:0]       nr_mm = nr_odd_q ? {nr_m_q, 1'b0} : {1'b0, nr_m_q};
  wire              nr_is_recip = HasRecip && (!HasRsqrt || i_op == OpRecip);
  wire [32:0]       nr_sub = (nr_is_recip ? 33'h0_8000_0000 : 33'h0_C000_0000) - res_q[32:0];
  reg [4:0]         nr_e_q;        // floor(log2 x)
  reg signed [8:0]  nr_k_q;        // rsqrt exponent (even)
  reg signed [32:0] nr_y_q;
  reg [1:0]         nr_it_q;
  reg               nr_half_q;     // rsqrt: second multiply of a step done
  wire [1:0]        nr_newton = i_sh[5:4];
  wire signed [6:0] nr_fin    = i_x[6:0];   // fraction bits in (signed)
  wire signed [6:0] nr_fout   = i_x[13:7];  // fraction bits out (signed)
  wire signed [8:0] fin9  = {{2{nr_fin[6]}}, nr_fin};
  wire signed [8:0] fout9 = {{2{nr_fout[6]}}, nr_fout};
  // Final shift of recip/rsqrt.
  wire signed [8:0] final_s = nr_is_recip
    ? $signed(9'sd30) + $signed({4'd0, nr_e_q}) - fin9 - fout9
    : $signed(9'sd30) + (nr_k_q >>> 1) - fout9;
  reg               lut_interp_q;
  reg [31:0]        lut_frac_q;

  // ---------------------------------------------------------------- exact division (divround)
  // q = round_half_even(a·k / b), clamped to i8/i16: restoring division of N = 2·|a|·k (wide_q,
  // from the multiplier) by b shifted, one quotient bit a cycle. The extra factor 2 makes the
  // last quotient bit the half bit, and the remainder's OR the sticky bit, so the shared
  // rounding step rounds it (compiler/ir/arith.ts divRound). Only as many bits as the clamp can
  // tell apart: a quotient of 2^7 (i8) or 2^15 (i16) or more clamps, whatever its low bits.
  reg [DivW-1:0]    dv_d_q;        // b · 2^i for the quotient bit i being decided
  reg [16:0]        dv_q_q;        // quotient bits so far, the half bit last
  reg [4:0]         dv_n_q;        // bits still to decide
  reg               dv_neg_q;      // a < 0: the rounded magnitude is negated (half-even is symmetric)
  wire [DivW:0]     dv_diff = {1'b0, wide_q[DivW-1:0]} - {1'b0, dv_d_q};
  wire              dv_i8 = (i_satb == 2'd1);
  /* verilator lint_off UNUSEDSIGNAL */
  wire [63:0]       dv_b_sh = dv_i8 ? {24'd0, b_q, 8'd0} : {16'd0, b_q, 16'd0};
  /* verilator lint_on UNUSEDSIGNAL */
  wire [19:0]       dv_m = dv_neg_q ? 20'd0 - res_q[19:0] : res_q[19:0];

  // ---------------------------------------------------------------- rounding shift
  // q = floor(wide / 2^s) with the half bit and the sticky OR of the bits below it, shifting 16, 4
  // or 1 places a cycle (at most 9 cycles for s <= 63): a 64-bit barrel shifter and its masks cost
  // ~600 logic cells, which the UP5K does not have to spare.
  reg signed [63:0] q_q;
  reg [5:0]         rem_q;         // places to shift before the half bit reaches bit 0
  reg               sticky_q, up_q;
  wire              round_up;
  /* verilator lint_off UNUSEDSIGNAL */ // bit 0 only carries the carry-in
  wire [64:0]       sum_up = {q_q, 1'b1} + {{{32{addend_q[31]}}, addend_q}, up_q}; // q + addend + up
  /* verilator lint_on UNUSEDSIGNAL */
  trit_round u_round (.mode_i(rnd_q), .neg_i(wide_q[63]), .q_i(q_q[1:0]), .sticky_i(sticky_q), .up_o(round_up));

  // ---------------------------------------------------------------- saturation to ±(2^(b−1) − 1)
  wire [31:0] clamped;
  trit_saturate u_sat (.bits_i(i_satb), .v_i(res_q), .v_o(clamped));

  // ---------------------------------------------------------------- the one 33-bit adder of SX
  // add a+b, sub a−b (also max/min), rsub b−a, neg 0−a, abs: a or 0−a. The operands are chosen
  // in SRd and registered, so the carry chain in SX starts at flip-flops (from the program ROM
  // through the op decode it measured 44 ns, 22.7 MHz).
  wire [31:0] b_in = b_q;
  wire [31:0] b_rd = i_bsrc ? {dmem_rdata_i, lo16_q} : vr_data;   // operand B as it is read
  reg  [32:0] add_x_d, add_y_d, add_x_q, add_y_q;
  reg         add_c_d, add_c_q;
  always @(*) begin
    add_x_d = {a_q[31], a_q};
    add_y_d = ~{b_rd[31], b_rd};
    add_c_d = 1'b1;
    case (i_op)
      OpAdd:  begin add_y_d = {b_rd[31], b_rd}; add_c_d = 1'b0; end
      OpRsub: begin add_x_d = {b_rd[31], b_rd}; add_y_d = ~{a_q[31], a_q}; end
      OpNeg, OpAbs, OpRabsmax: begin
        add_x_d = 33'd0; add_y_d = ~{a_q[31], a_q};
        if ((i_op != OpNeg) && !a_q[31]) begin add_x_d = {1'b0, a_q}; add_y_d = 33'd0; add_c_d = 1'b0; end
      end
      default: if (HasDiv && i_op == OpDivround) begin   // |a|, for the multiplier
        add_x_d = 33'd0; add_y_d = ~{a_q[31], a_q};
        if (!a_q[31]) begin add_x_d = {1'b0, a_q}; add_y_d = 33'd0; add_c_d = 1'b0; end
      end
    endcase
  end
  // One carry chain with the carry-in folded in as a low bit (a three-operand sum would make Yosys
  // build a LUT compressor tree).
  /* verilator lint_off UNUSEDSIGNAL */
  wire [33:0] add_t = {add_x_q, 1'b1} + {add_y_q, add_c_q};
  /* verilator lint_on UNUSEDSIGNAL */
  wire [32:0] add_s = add_t[33:1];
  wire        a_lt_b = add_s[32];    // sign of a − b
  wire [31:0] sat_lo = pro_q[31:0], sat_hi = pro_q[63:32];
  wire        a_lt_lo = $signed(a_q) < $signed(sat_lo);
  wire        a_gt_hi = $signed(a_q) > $signed(sat_hi);
  // The 33-bit result of every one-cycle op, sign-extended once into wide_q (one wide mux, not
  // one per op).
  // max: b when a < b; min: b when a >= b. Registered in SX and used in SMx: the comparison's
  // carry chain followed by the select and the wide_q mux was the routed critical path (39.3 ns,
  // 25.4 MHz on the UP5K); one more cycle per max/min element buys the 26 MHz floor.
  reg         take_b_q;
  reg  [32:0] narrow;
  always @(*) begin
    case (i_op)
      OpAdd, OpSub, OpRsub, OpNeg, OpAbs, OpRabsmax: narrow = add_s;
      OpMax, OpMin: narrow = (HasMinMax && take_b_q) ? {b_in[31], b_in} : {a_q[31], a_q};
      OpSat:        narrow = !HasSat ? {a_q[31], a_q} : a_lt_lo ? {sat_lo[31], sat_lo} : a_gt_hi ? {sat_hi[31], sat_hi} : {a_q[31], a_q};
      OpGather:     narrow = HasGather ? {b_in[31], b_in} : {a_q[31], a_q};
      default:      narrow = {a_q[31], a_q};
    endcase
  end

  // ---------------------------------------------------------------- lut and Newton helpers
  wire [15:0]        lut_last = pro_q[63:48];
  // d = x − lo in 50 bits: |lo| < 2^47 (the compiler checks).
  wire signed [49:0] lut_d = {{18{a_q[31]}}, a_q} - {{2{pro_q[47]}}, pro_q[47:0]};
  /* verilator lint_off UNUSEDSIGNAL */ // the top bits are unused when DAW < 32
  wire [31:0]        lut_last_words = {15'd0, lut_last, 1'b0};
  /* verilator lint_on UNUSEDSIGNAL */
  wire [5:0]         lut_step = i_sh;
  reg  [31:0]        lut_fmask;
  integer            li;
  always @(*) begin
    for (li = 0; li < 32; li = li + 1) lut_fmask[li] = (li < lut_step);
  end
  // Seed index: the lb bits below the leading one of m (m in [2^30, 2^31)).
  wire [3:0]  nr_lb = i_sh[3:0];
  wire [11:0] nr_idx = nr_m_q[29:18] >> (4'd12 - nr_lb);
  wire [12:0] nr_lb_pow = 13'd1 << nr_lb;

  // ---------------------------------------------------------------- matmul lanes
  reg               mm_v1_q, mm_v2_q;   // an input issued one / two edges ago
  reg [AW-1:0]      mm_k_q;        // inputs issued this group
  reg               mm_issue_q;
  reg [DAW-1:0]     mm_wp_q;       // weight word pointer
  reg [AW-1:0]      mm_g_q;        // first output of the group
  reg [3:0]         mm_j_q;        // lane being written back
  reg [1:0]         mm_drain_q;
  localparam integer LaneSelW = (Lanes > 1) ? $clog2(Lanes) : 1;
  wire [31:0]       acc_w;         // the selected lane, sign-extended to a vram word
  // Inputs (RAM outputs) are valid two edges after the issue, with their weight words.
  trit_lanes #(.Lanes(Lanes), .AccW(AccW)) u_lanes (
    .clk_i(clk_i), .clear_i(st_q == SRowStart), .add_i(mm_v2_q), .w_i(dmem_rdata_i[2 * Lanes - 1:0]),
    .x_i(vr_data[AccW-1:0]), .sel_i(mm_j_q[LaneSelW-1:0]), .acc_o(acc_w)
  );

  // ---------------------------------------------------------------- misc
  reg [31:0]   cycles_q;
  reg          counting_q;
  reg [DAW:0]  load_n_q;
  reg [AW-1:0] io_n_q;
  reg [15:0]   word_hi_q;
  localparam [DAW:0] Two = 2;
  localparam integer LanesM1 = Lanes - 1;
  localparam [3:0]   LastLane = LanesM1[3:0];
  localparam [AW:0]  LanesW = Lanes[AW:0];

  wire [AW-1:0] n_out_m1 = i_x[AW-1:0]; // matmul: outputs − 1
  wire [BW-1:0] row_words = ({{(BW - AW){1'b0}}, i_cols} + 1'b1) << 1; // gather: words per table row

  // ---------------------------------------------------------------- the controller
  always @(posedge clk_i) begin
    vw_en_q       <= 1'b0;
    dmem_we_o   <= 1'b0;
    mul_start_q <= 1'b0;
    mm_v1_q     <= 1'b0;
    mm_v2_q     <= mm_v1_q;
    if (counting_q) cycles_q <= cycles_q + 32'd1;
    if (rst_i) begin
      st_q        <= SCmd;
      in_ready_o  <= 1'b0;
      out_valid_o <= 1'b0;
      counting_q  <= 1'b0;
      cycles_q    <= 32'd0;
      pc_q        <= {IAW{1'b0}};
      rd_q        <= 3'd0;
    end else begin
      case (st_q)
        // ---------------------------------------------------------- host commands
        SCmd: begin
          in_ready_o <= 1'b1;
          if (in_valid_i && in_ready_o) begin
            in_ready_o <= 1'b0;
            load_n_q   <= {(DAW + 1){1'b0}};
            io_n_q     <= {AW{1'b0}};
            case (in_data_i)
              CmdLoad:  st_q <= (DmemWords > 0) ? SLoadLo : SCmd;
              CmdRun:   begin st_q <= (InCount > 0) ? SIn : SFetch; pc_q <= {IAW{1'b0}};
                              cycles_q <= 32'd0; counting_q <= (InCount == 0); end
              CmdReset: st_q <= (StateCount > 0) ? SReset : SCmd;
              CmdInfo:  begin out_data_o <= Signature; st_q <= SSend; end
              default:  st_q <= SCmd;
            endcase
            if (in_data_i == CmdLoad && DmemWords == 0) begin out_data_o <= Ack; st_q <= SSend; end
            if (in_data_i == CmdReset && StateCount == 0) begin out_data_o <= Ack; st_q <= SSend; end
          end
        end
        SLoadLo: begin
          in_ready_o <= 1'b1;
          if (in_valid_i && in_ready_o) begin
            in_ready_o   <= 1'b0;
            word_hi_q    <= in_data_i[31:16];
            dmem_addr_o  <= load_n_q[DAW-1:0];
            dmem_wdata_o <= in_data_i[15:0];
            dmem_we_o    <= 1'b1;
            st_q         <= SLoadHi;
          end
        end
        SLoadHi: begin
          dmem_addr_o  <= load_n_q[DAW-1:0] + 1'b1;
          dmem_wdata_o <= word_hi_q;
          dmem_we_o    <= 1'b1;
          load_n_q     <= load_n_q + Two;
          if (load_n_q + Two >= DmemWords[DAW:0]) begin out_data_o <= Ack; st_q <= SSend; end
          else st_q <= SLoadLo;
        end
        SReset: begin
          vw_en_q   <= 1'b1;
          vw_addr_q <= StateBase[AW-1:0] + io_n_q;
          vw_data_q <= 32'd0;
          io_n_q  <= io_n_q + 1'b1;
          if (io_n_q == StateCount[AW-1:0] - 1'b1) begin out_data_o <= Ack; st_q <= SSend; end
        end
        SIn: begin
          in_ready_o <= 1'b1;
          if (in_valid_i && in_ready_o) begin
            vw_en_q   <= 1'b1;
            vw_addr_q <= InBase[AW-1:0] + io_n_q;
            vw_data_q <= in_data_i;
            io_n_q  <= io_n_q + 1'b1;
            if (io_n_q == InCount[AW-1:0] - 1'b1) begin
              in_ready_o <= 1'b0; counting_q <= 1'b1; st_q <= SFetch;
            end
          end
        end
        SSend: begin
          out_valid_o <= 1'b1;
          if (out_valid_o && out_ready_i) begin out_valid_o <= 1'b0; st_q <= SCmd; end
        end

        // ---------------------------------------------------------- instruction fetch
        SFetch: st_q <= SFetch2;            // program ROM read
        SFetch2: st_q <= SDecode;
        SDecode: begin
          r_q <= {AW{1'b0}};
          c_q <= {AW{1'b0}};
          a_row_q <= i_ab;
          b_row_q <= i_bb;
          o_row_q <= i_ob;
          pro_n_q <= 4'd0;
          mm_g_q  <= {AW{1'b0}};
          mm_wp_q <= i_bb[DAW-1:0];
          rd_q    <= 3'd0;
          if (i_op == OpEnd) begin counting_q <= 1'b0; io_n_q <= {AW{1'b0}}; st_q <= SOut; end
          else if ((HasSat && i_op == OpSat) || (HasLut && i_op == OpLut)) st_q <= SPro;
          else st_q <= SRowStart;
        end
        // Prologue: read the instruction's parameter words from dmem at B (sat bounds; lut lo, last).
        SPro: if (HasSat || HasLut) begin
          // Address n goes out at count n; its data is sampled at count n + 2.
          dmem_addr_o <= i_bb[DAW-1:0] + {{(DAW - 4){1'b0}}, pro_n_q};
          if (pro_n_q >= 4'd2 && pro_n_q <= 4'd5) pro_q <= {dmem_rdata_i, pro_q[63:16]};
          if (pro_n_q == 4'd6) lut_tab_q <= dmem_rdata_i;  // lut: where the table is
          pro_n_q <= pro_n_q + 4'd1;
          if (pro_n_q == ((i_op == OpSat) ? 4'd5 : 4'd6)) begin
            st_q <= SRowStart;
          end
        end
        SRowStart: begin
          first_q <= 1'b1;
          acc_q   <= 48'sd0;
          arg_q   <= {AW{1'b0}};
          if (HasMatmul && i_op == OpMatmul) begin
            mm_k_q <= {AW{1'b0}}; mm_issue_q <= 1'b1; mm_drain_q <= 2'd0; st_q <= SMm;
          end else if (HasGather && i_op == OpGather) st_q <= SGa;
          else st_q <= SRa;
        end

        // ---------------------------------------------------------- gather: row base from the id
        SGa: if (HasGather) begin vr_addr_q <= a_row_q; st_q <= SGb; end
        SGb: if (HasGather) st_q <= SNext;
        SNext: if (HasGather) begin
          // Row base = table + id · words per row, on the multiplier (no second one in LUTs).
          mul_a_q     <= {1'b0, vr_data};
          mul_b_q     <= {{(33 - BW){1'b0}}, row_words};
          mul_start_q <= 1'b1;
          sh_q        <= 8'sd0;
          rnd_q       <= RndFloor;
          addend_q    <= 32'sd0;
          ret_q       <= SGc;
          st_q        <= SMul;
        end
        SGc: if (HasGather) begin b_row_q <= i_bb + res_q[BW-1:0]; st_q <= SRa; end

        // ---------------------------------------------------------- operand reads
        SRa: begin
          vr_addr_q     <= pa;
          dmem_addr_o <= pb[DAW-1:0];
          st_q        <= SRb;
        end
        SRb: begin
          vr_addr_q     <= pb[AW-1:0];
          dmem_addr_o <= pb[DAW-1:0] + 1'b1;
          st_q        <= SRc;
        end
        SRc: begin
          a_q    <= vr_data;
          lo16_q <= dmem_rdata_i;
          st_q   <= SRd;
        end
        SRd: begin
          // Operand B, registered: the RAM outputs (SPRAM's especially) are too slow to feed the
          // operand mux and the adder in the same cycle (measured: 46 ns, 21 MHz).
          b_q     <= b_rd;
          add_x_q <= add_x_d;
          add_y_q <= add_y_d;
          add_c_q <= add_c_d;
          o_next_q   <= po;
          fin_next_q <= last_c && last_r;
          if (pf) begin
            // Operands captured: on to the next element (SRowEnd's step, taken early).
            if (last_c) begin
              c_q     <= {AW{1'b0}};
              a_row_q <= a_row_q + i_ars;
              b_row_q <= b_row_q + {{(BW - AW - 1){1'b0}}, i_brs};
              o_row_q <= o_row_q + i_ors;
              r_q     <= r_q + 1'b1;
            end else c_q <= c_q + 1'b1;
          end
          st_q    <= SX;
        end
        SX: begin
          // Prefetch: the next element's first reads (reader step 1), or none after the last.
          o_addr_q <= o_next_q;
          final_q  <= fin_next_q;
          if (pf && !fin_next_q) begin
            vr_addr_q   <= pa;
            dmem_addr_o <= pb[DAW-1:0];
            rd_q        <= 3'd2;
          end else rd_q <= 3'd0;
          addend_q <= 32'sd0;
          rnd_q    <= i_rnd;
          sh_q     <= 8'sd0;
          ret_q    <= SCl;
          st_q     <= SSh1;
          case (i_op)
            OpAdd, OpSub, OpRsub, OpNeg, OpAbs, OpSat, OpCopy, OpGather:
                       wide_q <= {{31{narrow[32]}}, narrow};
            OpMax, OpMin: if (HasMinMax) begin take_b_q <= a_lt_b ^ (i_op == OpMin); st_q <= SMx; end
            OpShift:   begin wide_q <= {{31{narrow[32]}}, narrow}; sh_q <= {2'b00, i_sh}; end
            OpMul: if (HasMul) begin
              mul_a_q <= {a_q[31], a_q};
              mul_b_q <= {b_in[31], b_in};
              mul_start_q <= 1'b1;
              sh_q <= {2'b00, i_sh};
              st_q <= SMul;
            end
            OpRsum, OpRmax, OpRabsmax, OpArgmax: if (HasReduce) begin
              wide_q <= {{31{narrow[32]}}, narrow};
              st_q   <= SAcc;
            end
            OpLut: if (HasLut) begin
              wide_q <= {{14{lut_d[49]}}, lut_d};
              sh_q   <= {2'b00, lut_step};
              rnd_q  <= RndFloor;
              ret_q  <= SLut1;                    // j = floor(d / 2^step)
            end
            OpRecip, OpRsqrt: if (HasNewton) st_q <= SNr0;
            OpDivround: if (HasDiv) begin
              dv_d_q   <= dv_b_sh[DivW-1:0];
              dv_n_q   <= dv_i8 ? 5'd9 : 5'd17;
              dv_neg_q <= a_q[31];
              dv_q_q   <= 17'd0;
              if ($signed(b_q) < 32'sd1) wide_q <= 64'sd0;   // b <= 0: the quotient is 0
              else begin
                mul_a_q     <= add_s;                              // |a|
                mul_b_q     <= {{(32 - XW){1'b0}}, i_x, 1'b0};     // 2k
                mul_start_q <= 1'b1;
                st_q        <= SMul;
              end
            end
            default: wide_q <= {{31{narrow[32]}}, narrow};
          endcase
        end

        // ---------------------------------------------------------- multiply, round, clamp, write
        // max/min, second cycle: the registered choice (a_q and b_q still hold this element's
        // operands: the prefetch reader overwrites a_q one cycle later).
        SMx: if (HasMinMax) begin wide_q <= {{31{narrow[32]}}, narrow}; st_q <= SSh1; end
        SMul: if (HasMul32 && mul_done) begin
          wide_q <= mul_p;
          st_q   <= (HasDiv && i_op == OpDivround) ? SDv : SSh1;
        end

        // ---------------------------------------------------------- divround: quotient, then round
        SDv: if (HasDiv) begin
          if (!dv_diff[DivW]) wide_q[DivW-1:0] <= dv_diff[DivW-1:0];
          dv_q_q <= {dv_q_q[15:0], !dv_diff[DivW]};
          dv_d_q <= dv_d_q >> 1;
          dv_n_q <= dv_n_q - 5'd1;
          if (dv_n_q == 5'd1) st_q <= SDvR;
        end
        SDvR: if (HasDiv) begin
          // Quotient, half bit, sticky: shifted right by 2 with half-even rounding (rnd_q).
          wide_q <= {46'd0, dv_q_q, |wide_q[DivW-1:0]};
          sh_q   <= 8'sd2;
          ret_q  <= SDvS;
          st_q   <= SSh1;
        end
        SDvS: if (HasDiv) begin res_q <= {{44{dv_m[19]}}, dv_m}; st_q <= SCl; end
        SSh1: begin
          q_q      <= wide_q;
          sticky_q <= 1'b0;
          up_q     <= 1'b0;
          rem_q    <= sh_q[5:0] - 6'd1;
          st_q     <= (sh_q == 8'sd0) ? SSh2 : SShL;
        end
        SShL: begin
          if (rem_q >= 6'd16) begin
            sticky_q <= sticky_q | (|q_q[15:0]); q_q <= q_q >>> 16; rem_q <= rem_q - 6'd16;
          end else if (rem_q >= 6'd4) begin
            sticky_q <= sticky_q | (|q_q[3:0]); q_q <= q_q >>> 4; rem_q <= rem_q - 6'd4;
          end else if (rem_q != 6'd0) begin
            sticky_q <= sticky_q | q_q[0]; q_q <= q_q >>> 1; rem_q <= rem_q - 6'd1;
          end else begin
            up_q <= round_up;              // q_q[0] is the half bit now
            q_q  <= q_q >>> 1;
            st_q <= SSh2;
          end
        end
        SSh2: begin
          res_q <= sum_up[64:1];
          st_q  <= ret_q;
        end
        SCl: begin
          vw_en_q   <= 1'b1;
          vw_addr_q <= o_addr_q;
          vw_data_q <= clamped;
          if (!pf) st_q <= SRowEnd;
          else if (final_q) begin pc_q <= pc_q + 1'b1; st_q <= SFetch; end
          else st_q <= (rd_q >= 3'd4) ? SX : SPw;   // step 4 completes at this edge
        end
        SPw: if (rd_q >= 3'd4) st_q <= SX;

        // ---------------------------------------------------------- reductions over the last axis
        SAcc: if (HasReduce) begin
          first_q <= 1'b0;
          if (HasRsum && i_op == OpRsum) acc_q <= acc_q + wide_q[47:0];
          else if (i_op == OpRabsmax) begin if ($signed(wide_q[47:0]) > acc_q) acc_q <= wide_q[47:0]; end
          else if (first_q || $signed(wide_q[47:0]) > acc_q) begin
            acc_q <= wide_q[47:0];
            if (HasArgmax) arg_q <= c_q;
          end
          if (last_c) st_q <= SRed; // reuse: row finished, round/clamp the accumulator
          else begin c_q <= c_q + 1'b1; st_q <= SRa; end
        end
        SRed: if (HasReduce) begin
          // A reduction row is finished: round/clamp/write its accumulator (or argmax index).
          wide_q <= (HasArgmax && i_op == OpArgmax) ? {{(64 - AW){1'b0}}, arg_q} : {{16{acc_q[47]}}, acc_q};
          sh_q   <= {2'b00, i_sh};   // reduce_sum's shift (0 for the others): one rounding of the exact sum
          ret_q  <= SCl;
          st_q   <= SSh1;
        end
        SRowEnd: begin
          if (is_reduce || last_c) begin
            c_q     <= {AW{1'b0}};
            a_row_q <= a_row_q + i_ars;
            b_row_q <= b_row_q + {{(BW - AW - 1){1'b0}}, i_brs};
            o_row_q <= o_row_q + i_ors;
            r_q     <= r_q + 1'b1;
            if (last_r) begin pc_q <= pc_q + 1'b1; st_q <= SFetch; end
            else st_q <= SRowStart;
          end else begin
            c_q  <= c_q + 1'b1;
            st_q <= SRa;
          end
        end

        // ---------------------------------------------------------- lut: index, table reads, interpolation
        SLut1: if (HasLut) begin
          // res_q = j = floor(d / 2^step); wide_q still holds d.
          if (wide_q[63]) begin tab_q <= lut_tab; lut_interp_q <= 1'b0; end
          else if (res_q[63:16] != 48'd0 || res_q[15:0] >= lut_last) begin
            tab_q <= lut_tab + lut_last_words[DAW-1:0]; lut_interp_q <= 1'b0;
          end else begin
            tab_q <= lut_tab + {res_q[DAW-2:0], 1'b0}; lut_interp_q <= i_x[0];
          end
          lut_frac_q  <= wide_q[31:0] & lut_fmask;
          tab_k_q     <= 3'd0;
          tab_words_q <= 3'd4;
          ret_q       <= SLut2;
          st_q        <= STab;
        end
        // Reads tab_words_q 16-bit words from dmem at tab_q straight into their destinations —
        // lut: T[j] → addend, T[j+1] → multiplier A; seed: y — then returns to ret_q.
        STab: if (HasLut || HasNewton) begin
          dmem_addr_o <= tab_q;
          tab_q       <= tab_q + 1'b1;
          if (tab_k_q >= 3'd2) begin
            if (HasLut && (!HasNewton || i_op == OpLut)) begin
              case (tab_k_q[1:0])
                2'd2:    addend_q[15:0]  <= dmem_rdata_i;
                2'd3:    addend_q[31:16] <= dmem_rdata_i;
                2'd0:    mul_a_q[15:0]   <= dmem_rdata_i;
                default: mul_a_q[32:16]  <= {dmem_rdata_i[15], dmem_rdata_i};
              endcase
            end else if (tab_k_q[0]) nr_y_q[32:16] <= {dmem_rdata_i[15], dmem_rdata_i};
            else nr_y_q[15:0] <= dmem_rdata_i;
          end
          tab_k_q     <= tab_k_q + 1'b1;
          if (tab_k_q == tab_words_q + 3'd1) st_q <= ret_q;
        end
        SLut2: if (HasLut) begin
          // addend_q = T[j], mul_a_q = T[j+1].
          rnd_q    <= RndHalfEven;
          if (lut_interp_q) begin
            mul_a_q     <= mul_a_q - {addend_q[31], addend_q};
            mul_b_q     <= {1'b0, lut_frac_q};
            mul_start_q <= 1'b1;
            sh_q        <= {2'b00, lut_step};
            ret_q       <= SCl;
            st_q        <= SMul;
          end else begin
            addend_q <= 32'sd0;
            wide_q   <= {{32{addend_q[31]}}, addend_q};
            sh_q     <= 8'sd0;
            ret_q    <= SCl;
            st_q     <= SSh1;
          end
        end

        // ---------------------------------------------------------- recip / rsqrt (compiler/ir/newton.ts)
        SNr0: if (HasNewton) begin
          nr_m_q <= ($signed(a_q) < 32'sd1) ? 32'd1 : a_q;   // x <= 0 counts as one LSB
          nr_e_q <= 5'd30;
          st_q   <= SNr1;
        end
        SNr1: if (HasNewton) begin
          // Normalise one bit a cycle: m = x·2^(30−e) in [2^30, 2^31), e = floor(log2 x).
          if (!nr_m_q[30]) begin nr_m_q <= nr_m_q << 1; nr_e_q <= nr_e_q - 5'd1; end
          else st_q <= SNr2;
        end
        SNr2: if (HasNewton) begin
          // Seed index and, for rsqrt, the even exponent and M.
          if (!nr_is_recip) begin
            nr_k_q  <= $signed({4'd0, nr_e_q}) - fin9 - (($signed({4'd0, nr_e_q}) - fin9) & 9'sd1);
            nr_odd_q <= nr_e_q[0] ^ nr_fin[0];
            tab_q   <= i_bb[DAW-1:0] + {{(DAW - 14){1'b0}}, {1'b0, nr_idx} + ((nr_e_q[0] ^ nr_fin[0]) ? nr_lb_pow : 13'd0), 1'b0};
          end else begin
            nr_odd_q <= 1'b0;
            tab_q   <= i_bb[DAW-1:0] + {{(DAW - 13){1'b0}}, nr_idx, 1'b0};
          end
          tab_k_q     <= 3'd0;
          tab_words_q <= 3'd2;
          nr_it_q     <= 2'd0;
          nr_half_q   <= 1'b0;
          ret_q       <= SNr3;
          st_q        <= STab;
        end
        SNr3: if (HasNewton) begin
          st_q   <= SNr4;
        end
        SNr4: if (HasNewton) begin
          // One Newton step per pass; the last pass scales the result.
          rnd_q    <= RndHalfEven;
          addend_q <= 32'sd0;
          if (nr_it_q == nr_newton) begin
            // recip: s = 30 + e − fin − fout; rsqrt: s = 30 + k/2 − fout. A negative s is a
            // left shift, done as a product so the rounding unit only shifts right.
            if (final_s < 0) begin
              mul_a_q     <= nr_y_q;
              mul_b_q     <= (final_s < -9'sd31) ? 33'sd0 : ($signed(33'sd1) <<< (-final_s));
              mul_start_q <= 1'b1;
              sh_q        <= 8'sd0;
              ret_q       <= (final_s < -9'sd31) ? SNr6 : SCl;
              st_q        <= SMul;
            end else begin
              wide_q <= {{31{nr_y_q[32]}}, nr_y_q};
              // y < 2^31, so any shift past 63 rounds to zero exactly as a shift of 63 does.
              sh_q   <= (final_s > 9'sd63) ? 8'sd63 : final_s[7:0];
              ret_q  <= SCl;
              st_q   <= SSh1;
            end
          end else begin
            mul_start_q <= 1'b1;
            sh_q        <= 8'sd30;
            ret_q       <= SNr5;
            st_q        <= SMul;
            if (nr_is_recip) begin mul_a_q <= nr_mm; mul_b_q <= nr_y_q; end
            else begin mul_a_q <= nr_y_q; mul_b_q <= nr_y_q; end
          end
        end
        SNr5: if (HasNewton) begin
          // recip: t = m·y → y·(2 − t). rsqrt: y² → M·y², then y·(3 − M·y²)/2.
          mul_start_q <= 1'b1;
          st_q        <= SMul;
          if (nr_is_recip) begin
            mul_a_q <= nr_y_q; mul_b_q <= nr_sub;     // y·(2 − m·y)
            ret_q   <= SNr6;
          end else if (!nr_half_q) begin
            mul_a_q <= nr_mm; mul_b_q <= res_q[32:0];
            nr_half_q <= 1'b1;
            ret_q   <= SNr5;
          end else begin
            mul_a_q <= nr_y_q; mul_b_q <= nr_sub;     // y·(3 − M·y²)/2
            sh_q    <= 8'sd31;
            nr_half_q <= 1'b0;
            ret_q   <= SNr6;
          end
        end
        SNr6: if (HasNewton) begin
          if (nr_it_q == nr_newton) begin
            // Left shift past 31 bits: only a saturated result can be correct.
            res_q <= 64'sh3FFF_FFFF_FFFF_FFFF;
            st_q  <= SCl;
          end else begin
            nr_y_q  <= res_q[32:0];
            nr_it_q <= nr_it_q + 1'b1;
            st_q    <= SNr4;
          end
        end

        // ---------------------------------------------------------- ternary matmul: Lanes outputs at a time
        SMm: if (HasMatmul) begin
          // Issue one input and its weight word per cycle; the lanes add them two edges later.
          if (mm_issue_q) begin
            vr_addr_q     <= a_row_q + mm_k_q;
            dmem_addr_o <= mm_wp_q;
            mm_wp_q     <= mm_wp_q + 1'b1;
            mm_v1_q     <= 1'b1;
            mm_k_q      <= mm_k_q + 1'b1;
            if (mm_k_q == i_cols) mm_issue_q <= 1'b0;
          end else begin
            mm_drain_q <= mm_drain_q + 1'b1;
            if (mm_drain_q == 2'd1) begin mm_j_q <= 4'd0; st_q <= SMmWb; end
          end
        end
        SMmWb: if (HasMatmul) begin
          vw_en_q   <= 1'b1;
          vw_addr_q <= o_row_q + mm_g_q + {{(AW - 4){1'b0}}, mm_j_q};
          vw_data_q <= acc_w;
          mm_j_q  <= mm_j_q + 1'b1;
          if (mm_j_q == LastLane || mm_g_q + {{(AW - 4){1'b0}}, mm_j_q} == n_out_m1) begin
            if ({1'b0, mm_g_q} + LanesW > {1'b0, n_out_m1}) begin
              // Row done.
              mm_g_q  <= {AW{1'b0}};
              mm_wp_q <= i_bb[DAW-1:0];
              a_row_q <= a_row_q + i_ars;
              o_row_q <= o_row_q + i_ors;
              r_q     <= r_q + 1'b1;
              if (last_r) begin pc_q <= pc_q + 1'b1; st_q <= SFetch; end
              else st_q <= SRowStart;
            end else begin
              mm_g_q <= mm_g_q + LanesW[AW-1:0];
              st_q   <= SRowStart;
            end
          end
        end

        // ---------------------------------------------------------- results out, then the cycle count
        SOut: begin vr_addr_q <= OutBase[AW-1:0] + io_n_q; st_q <= SOutWait; end
        SOutWait: st_q <= SOutW;
        SOutW: begin
          out_data_o  <= vr_data;
          out_valid_o <= 1'b1;
          if (out_valid_o && out_ready_i) begin
            out_valid_o <= 1'b0;
            io_n_q      <= io_n_q + 1'b1;
            if (io_n_q == OutCount[AW-1:0] - 1'b1) begin out_data_o <= cycles_q; st_q <= SSend; end
            else st_q <= SOut;
          end
        end
        default: st_q <= SCmd;
      endcase

      // ---------------------------------------------------------- the prefetch reader (steps 2–4)
      // Runs beside the states above; none of them drives these registers while it is busy.
      case (rd_q)
        3'd2: begin vr_addr_q <= pb[AW-1:0]; dmem_addr_o <= pb[DAW-1:0] + 1'b1; rd_q <= 3'd3; end
        3'd3: begin a_q <= vr_data; lo16_q <= dmem_rdata_i; rd_q <= 3'd4; end
        3'd4: begin
          b_q      <= b_rd;
          add_x_q  <= add_x_d;
          add_y_q  <= add_y_d;
          add_c_q  <= add_c_d;
          o_next_q   <= po;
          fin_next_q <= last_c && last_r;
          if (last_c) begin
            c_q     <= {AW{1'b0}};
            a_row_q <= a_row_q + i_ars;
            b_row_q <= b_row_q + {{(BW - AW - 1){1'b0}}, i_brs};
            o_row_q <= o_row_q + i_ors;
            r_q     <= r_q + 1'b1;
          end else c_q <= c_q + 1'b1;
          rd_q <= 3'd5;
        end
        default: ;
      endcase
    end
  end

`ifdef TRIT_PROFILE
  // Simulation only (hdl-gen/src/sim.ts): where each instruction starts, in cycles of the run,
  // so that the cycles of an inference can be split by op kind.
  always @(posedge clk_i) if (!rst_i && st_q == SDecode && counting_q) $display("trit-profile %0d %0d", pc_q, cycles_q);
`endif

endmodule

`default_nettype wire
