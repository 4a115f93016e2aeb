// Overlap-add: finishes a stride-1 transposed convolution that the baked kernel folded into the
// layer before it (src/gpu/baked.ts, `fold`). Each baked invocation leaves, for its block of
// output pixels, that block's contribution to every output of the folded layer it touches: a
// region of regionH × regionW pixels × outC channels, overlapping its neighbours' regions by
// kH − 1 rows and kW − 1 columns. Here each output value sums the regions that cover it, adds
// the bias and applies the activation. TypeScript twin: overlapAdd() in src/gpu/baked.ts;
// uniform and constants from packOverlapAddParams() and overlapAddConstants() there.
//
// Version 1 (with conv_transpose_baked.wgsl's fold, version 6). Why: the decoder's last layer
// (28×28×16 → 28×28×1) does a twentieth of the FMAs and took a quarter of the GPU time on
// llvmpipe, nearly all of it loading its 16-channel input (a load costs ~100 FMAs there). Folded,
// that input never leaves the registers of the layer that computes it; this pass loads about 4
// floats per output value instead of about 100.

// Only the batch is a uniform: every other size is an override constant, so the integer
// divisions below are by constants (a multiply and a shift). On llvmpipe a division by a uniform
// runs lane by lane, and with one uniform per size this pass took 40 ms for 2,048 frames.
struct Params {
  batch: u32,
}

override OUT_H: u32;
override OUT_W: u32;
override OUT_C: u32;
override BLOCKS_Y: u32;      // blocks down a frame
override BLOCKS_X: u32;      // blocks across a frame
override STEP_H: u32;        // output rows between neighbouring blocks' regions
override STEP_W: u32;        // output columns between them
override REGION_H: u32;
override REGION_W: u32;
override PAD_TOP: u32;       // a region starts PAD_TOP rows above its block's first row
override PAD_LEFT: u32;
override REGION_FLOATS: u32; // floats a region takes in `part` (a multiple of 4)
override ACTIVATION: u32;    // 0 linear, 1 relu, 2 sigmoid, 3 tanh

@group(0) @binding(0) var<uniform> params: Params;
// (B, blocksY, blocksX, REGION_FLOATS): a region is (regionH, regionW, outC), then zero padding.
@group(0) @binding(1) var<storage, read> part: array<f32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;      // (outC)
@group(0) @binding(3) var<storage, read_write> out: array<f32>; // (B, outH, outW, outC)

override WG: u32 = 64;

fn activate(v: f32) -> f32 {
  if (ACTIVATION == 1u) { return max(v, 0.0); }
  if (ACTIVATION == 2u) { return 1.0 / (1.0 + exp(-v)); }
  if (ACTIVATION == 3u) { return tanh(v); }
  return v;
}

// Blocks whose regions can cover one output, along each axis.
override SPAN_Y: u32 = (REGION_H + STEP_H - 1u) / STEP_H;
override SPAN_X: u32 = (REGION_W + STEP_W - 1u) / STEP_W;

// One invocation per output value (b, y, x, co).
@compute @workgroup_size(WG)
fn main(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) groups: vec3u,
  @builtin(local_invocation_index) lid: u32,
) {
  let n = (wid.x + wid.y * groups.x) * WG + lid;
  if (n >= params.batch * OUT_H * OUT_W * OUT_C) { return; }
  let co = n % OUT_C;
  let x = (n / OUT_C) % OUT_W;
  let y = (n / (OUT_C * OUT_W)) % OUT_H;
  let b = n / (OUT_C * OUT_W * OUT_H);
  let ty = y + PAD_TOP;
  let tx = x + PAD_LEFT;
  // The last block that covers t is t / STEP; the SPAN before it may too. Fixed trip counts
  // and masked loads, so that neighbouring lanes never take different paths.
  var s = bias[co];
  for (var i = 0u; i < SPAN_Y; i += 1u) {
    let by = i32(ty / STEP_H) - i32(i);
    let ry = i32(ty) - by * i32(STEP_H);
    let y_ok = by >= 0 && by < i32(BLOCKS_Y) && ry < i32(REGION_H);
    for (var j = 0u; j < SPAN_X; j += 1u) {
      let bx = i32(tx / STEP_W) - i32(j);
      let rx = i32(tx) - bx * i32(STEP_W);
      let ok = y_ok && bx >= 0 && bx < i32(BLOCKS_X) && rx < i32(REGION_W);
      let base = ((b * BLOCKS_Y + u32(select(0, by, ok))) * BLOCKS_X + u32(select(0, bx, ok))) *
        REGION_FLOATS;
      let r = (u32(select(0, ry, ok)) * REGION_W + u32(select(0, rx, ok))) * OUT_C + co;
      s += select(0.0, part[base + r], ok);
    }
  }
  out[n] = activate(s);
}
