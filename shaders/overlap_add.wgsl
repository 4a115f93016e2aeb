// Overlap-add: finishes a stride-1 transposed convolution that the baked kernel folded into the
// layer before it (src/gpu/baked.ts, `fold`). Each block of the baked layer contributes to every
// output of the folded layer it touches: a region of regionH × regionW pixels × outC channels,
// overlapping its neighbours' regions by kH − 1 rows and kW − 1 columns. A baked invocation sums
// these along its row of blocks and stores, for each cell of the output (STEP_H × STEP_W pixels),
// what that row gave it: a slot (the layout is in FoldPlan, src/gpu/baked.ts). Here each
// invocation takes one cell: it sums the Q_Y slots the cell received from the block rows that
// exist, as whole vec4s, adds the bias and applies the activation. TypeScript twin: overlapAdd()
// in src/gpu/baked.ts; uniform and constants from packOverlapAddParams() and
// overlapAddConstants() there.
//
// Version 2 (with conv_transpose_baked.wgsl's fold, version 6). Version 1 took one output value
// an invocation and loaded each of its ~4 partial sums as a float from a region layout; a cell
// an invocation reads them as contiguous vec4s, a quarter of the loads. Why: the decoder's last
// layer (28×28×16 → 28×28×1) does a twentieth of the FMAs and took a quarter of the GPU time on
// llvmpipe, nearly all of it loading its 16-channel input (a load costs ~100 FMAs there). Folded,
// that input never leaves the registers of the layer that computes it; this pass loads about 4
// floats per output value instead of about 100. Version 3 (with version 7): the baked layer sums
// a row's slots itself, so a cell has Q_Y slots, not Q_Y × Q_X: half the loads here, and half the
// stores there.

// Only the batch is a uniform: every other size is an override constant, so the integer
// divisions below are by constants (a multiply and a shift) and the loops have fixed trip counts.
// On llvmpipe a division by a uniform runs lane by lane.
struct Params {
  batch: u32,
}

override OUT_H: u32;
override OUT_W: u32;
override OUT_C: u32;
override BLOCKS_Y: u32;   // blocks of the folding layer down a frame
override CELLS_Y: u32;    // cells down a frame: BLOCKS_Y + Q_Y − 1
override CELLS_X: u32;
override Q_Y: u32;        // cells a block's region spans down
override STEP_H: u32;     // a cell's rows
override STEP_W: u32;     // a cell's columns
override PAD_TOP: u32;    // cell row 0 starts PAD_TOP rows above the output
override PAD_LEFT: u32;
override SLOT_VEC4S: u32; // vec4s a slot: STEP_H·STEP_W·OUT_C rounded up to 4, over 4 (≤ 16)
override ACTIVATION: u32; // 0 linear, 1 relu, 2 sigmoid, 3 tanh

@group(0) @binding(0) var<uniform> params: Params;
// (B, CELLS_Y, CELLS_X, Q_Y, SLOT_VEC4S) of vec4; a slot is (STEP_H, STEP_W, OUT_C), padded.
@group(0) @binding(1) var<storage, read> part: array<vec4f>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;      // (OUT_C)
@group(0) @binding(3) var<storage, read_write> out: array<f32>; // (B, OUT_H, OUT_W, OUT_C)

override WG: u32 = 64;

fn activate(v: f32) -> f32 {
  if (ACTIVATION == 1u) { return max(v, 0.0); }
  if (ACTIVATION == 2u) { return 1.0 / (1.0 + exp(-v)); }
  if (ACTIVATION == 3u) { return tanh(v); }
  return v;
}

// One invocation per cell (b, cy, cx).
@compute @workgroup_size(WG)
fn main(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) groups: vec3u,
  @builtin(local_invocation_index) lid: u32,
) {
  let n = (wid.x + wid.y * groups.x) * WG + lid;
  if (n >= params.batch * CELLS_Y * CELLS_X) { return; }
  let cx = n % CELLS_X;
  let cy = (n / CELLS_X) % CELLS_Y;
  let b = n / (CELLS_X * CELLS_Y);
  var acc: array<vec4f, 16>;
  for (var v = 0u; v < SLOT_VEC4S; v += 1u) { acc[v] = vec4f(0.0); }
  // Slot qy came from block row cy − qy: skipped where that row does not exist.
  for (var qy = 0u; qy < Q_Y; qy += 1u) {
    let ok = cy >= qy && cy - qy < BLOCKS_Y;
    let slot = ((b * CELLS_Y + cy) * CELLS_X + cx) * Q_Y + qy;
    for (var v = 0u; v < SLOT_VEC4S; v += 1u) {
      acc[v] += select(vec4f(0.0), part[select(0u, slot * SLOT_VEC4S + v, ok)], ok);
    }
  }
  for (var ly = 0u; ly < STEP_H; ly += 1u) {
    let y = i32(cy * STEP_H + ly) - i32(PAD_TOP);
    for (var lx = 0u; lx < STEP_W; lx += 1u) {
      let x = i32(cx * STEP_W + lx) - i32(PAD_LEFT);
      let inside = y >= 0 && y < i32(OUT_H) && x >= 0 && x < i32(OUT_W);
      for (var co = 0u; co < OUT_C; co += 1u) {
        let i = (ly * STEP_W + lx) * OUT_C + co;
        if (inside) {
          let o = ((b * OUT_H + u32(y)) * OUT_W + u32(x)) * OUT_C + co;
          out[o] = activate(acc[i / 4u][i % 4u] + bias[co]);
        }
      }
    }
  }
}
