// Transposed convolution (tfjs conv2dTranspose semantics), bias and activation fused, for
// adapters where a load costs far more than an FMA. On llvmpipe (Mesa 22) a storage-buffer load
// is a loop over the SIMD lanes, ~20 ns for a vec4 against ~0.6 ns for an 8-lane FMA, so this
// kernel is built to load as little as possible per FMA.
// TypeScript twin: convTransposeForward() in src/reference.ts (weights re-laid by
// packBlockedWeights() with planRows()); uniform packed by packConvTransposeBlockedParams() in
// src/gpu/kernels.ts (the same fields as conv_transpose_blocked.wgsl).
//
// Version 3 (after conv_transpose_blocked.wgsl, version 2). Each invocation computes 14 pixels of
// one phase × 16 output channels, held in fourteen mat4x4f (a column = 4 channels):
// - no private arrays: an array the compiler fails to unroll lives in scratch memory, where every
//   access costs as much as a buffer load, so the 14 pixels are named values;
// - each weight vec4 feeds 14 pixels; a 4×16 weight block is four mat4x4f, and W·x is 4 FMAs;
// - each input vec4 is loaded once per kernel row and serves both x-taps of the phase through a
//   window of 8 columns, so a phase may have at most 2 taps along x (kW ≤ 2·sW).
// Measured on llvmpipe, layer by layer, in the bench's docs (src/bench/README.md).

struct Params {
  batch: u32,
  in_h: u32,
  in_w: u32,
  in_c: u32,       // multiple of 4
  out_h: u32,
  out_w: u32,
  out_c: u32,      // multiple of 4
  k_h: u32,
  k_w: u32,        // ≤ 2·stride_w
  stride_h: u32,
  stride_w: u32,
  pad_top: u32,
  pad_left: u32,
  activation: u32, // 0 linear, 1 relu, 2 sigmoid, 3 tanh
  co_vecs: u32,    // output channels padded to a multiple of 16, in vec4s
  tiles: u32,      // workgroups per (phase, channel block)
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<vec4f>;       // (B, inH, inW, inC/4) of vec4
// The weights sit in a uniform buffer: llvmpipe loads a uniform address from one about twice as
// fast as from a storage buffer. 4096 vec4s (64 KiB) is the least maxUniformBufferBindingSize
// an adapter may have; larger layers take conv_transpose_blocked.wgsl.
@group(0) @binding(2) var<uniform> kernel: array<vec4f, 4096>;  // (kH, kW, inC, co_vecs) of vec4
@group(0) @binding(3) var<storage, read> bias: array<vec4f>;    // (co_vecs) of vec4
// Written a vec4 at a time: on llvmpipe a store, like a load, costs the same for 1 or 4 floats.
@group(0) @binding(4) var<storage, read_write> out: array<vec4f>; // (B, outH, outW, outC/4) of vec4

override WG: u32 = 64;
// ROWS = 1: an invocation's 14 pixels are 14 neighbouring columns of one phase row;
// ROWS = 2: they are 7 columns of two neighbouring phase rows (for phase rows narrower than 14).
override ROWS: u32 = 1;

// The pipeline's ACTIVATION constant where it was made with one (the decoder makes one per layer:
// the other three then fold away, where llvmpipe would run all four under a mask), else the
// uniform's code (0–3 as in Params).
override ACTIVATION: u32 = 4u;

fn activate(v: vec4f, uniform_code: u32) -> vec4f {
  let code = select(uniform_code, ACTIVATION, ACTIVATION < 4u);
  if (code == 1u) { return max(v, vec4f(0.0)); }
  if (code == 2u) { return 1.0 / (1.0 + exp(-v)); }
  if (code == 3u) { return tanh(v); }
  return v;
}

// Input column ix of row `row`, channels 4·c4…+3; zero outside the row or the image.
fn load_x(row: u32, row_ok: bool, ix: i32, in_w: u32, in_c4: u32, c4: u32) -> vec4f {
  let ok = row_ok && ix >= 0 && ix < i32(in_w);
  return select(vec4f(0.0), x[(row + u32(select(0, ix, ok))) * in_c4 + c4], ok);
}

// acc + W·v for the four 4×4 blocks of a 4-input × 16-output weight block.
fn mac(acc: mat4x4f, w0: mat4x4f, w1: mat4x4f, w2: mat4x4f, w3: mat4x4f, v: vec4f) -> mat4x4f {
  return mat4x4f(acc[0] + w0 * v, acc[1] + w1 * v, acc[2] + w2 * v, acc[3] + w3 * v);
}

// The 4×16 weight block of tap (ky, kx), input channels 4·c4…+3, output vec4s 4·cob…+3:
// block cv's column k is kernel[(tap·inC + 4·c4 + k)·co_vecs + 4·cob + cv].
fn weights(base: u32, co_vecs: u32, cv: u32) -> mat4x4f {
  return mat4x4f(
    kernel[base + cv],
    kernel[base + co_vecs + cv],
    kernel[base + 2u * co_vecs + cv],
    kernel[base + 3u * co_vecs + cv],
  );
}

fn store(m: mat4x4f, j: u32, qx0: u32, qw: u32, oy: u32, ok: bool, b: u32, px: u32, co0: u32) {
  let p = params;
  if (!ok || qx0 + j >= qw) { return; }
  let out_c4 = p.out_c / 4u;
  let ob = ((b * p.out_h + oy) * p.out_w + px + p.stride_w * (qx0 + j)) * out_c4;
  for (var cv = 0u; cv < 4u; cv++) {
    let c = co0 / 4u + cv;
    if (c < out_c4) { out[ob + c] = activate(m[cv], p.activation); }
  }
}

// Workgroup g (uniform) → (channel block, phase, tile); lane → (run, row group, frame b).
// The run's first 7 pixels (a0…a6) are columns qx0 + j of phase row qy; the other 7 (a7…a13)
// continue that row (ROWS = 1) or are the same columns of row qy + 1 (ROWS = 2). A pixel's first
// x-tap (kernel column kx0) reads input column qx + d0, d0 = (px + pad − kx0) / sx, and its
// second (kx0 + sx) the column before: each half reads a window of 8 input columns, x (first
// half) and y (second), starting at its first column + d0 − 1; pixel j uses slots j + 1 and j.
@compute @workgroup_size(WG)
fn main(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) groups: vec3u,
  @builtin(local_invocation_index) lid: u32,
) {
  let p = params;
  let g = wid.x + wid.y * groups.x;
  let tile = g % p.tiles;
  let rest = g / p.tiles;
  let phases = p.stride_h * p.stride_w;
  let phase = rest % phases;
  let cob = rest / phases;
  let py = phase / p.stride_w;
  let px = phase % p.stride_w;
  if (cob * 4u >= p.co_vecs || py >= p.out_h || px >= p.out_w) { return; }
  let qh = (p.out_h - py + p.stride_h - 1u) / p.stride_h;
  let qw = (p.out_w - px + p.stride_w - 1u) / p.stride_w;
  let run_w = 7u * (3u - ROWS);
  let runs = (qw + run_w - 1u) / run_w;
  let row_groups = (qh + ROWS - 1u) / ROWS;
  let n = tile * WG + lid;
  if (n >= p.batch * row_groups * runs) { return; }
  let qx0 = (n % runs) * run_w;
  let t = n / runs;
  let qy = (t % row_groups) * ROWS;
  let b = t / row_groups;
  // The second half: its phase row, first column, and whether that row exists.
  let qy_b = qy + ROWS - 1u;
  let qx0_b = qx0 + 7u * (2u - ROWS);
  let has_b = qy_b < qh;
  let oy = py + p.stride_h * qy;
  let oy_b = py + p.stride_h * qy_b;
  let in_c4 = p.in_c / 4u;

  let b4 = cob * 4u;
  let bias_m = mat4x4f(bias[b4], bias[b4 + 1u], bias[b4 + 2u], bias[b4 + 3u]);
  var a0 = bias_m;
  var a1 = bias_m;
  var a2 = bias_m;
  var a3 = bias_m;
  var a4 = bias_m;
  var a5 = bias_m;
  var a6 = bias_m;
  var a7 = bias_m;
  var a8 = bias_m;
  var a9 = bias_m;
  var a10 = bias_m;
  var a11 = bias_m;
  var a12 = bias_m;
  var a13 = bias_m;

  let ky0 = (py + p.pad_top) % p.stride_h;
  let kx0 = (px + p.pad_left) % p.stride_w;
  let two_taps = kx0 + p.stride_w < p.k_w;
  let d0 = i32(px + p.pad_left - kx0) / i32(p.stride_w) - 1;
  let w0 = i32(qx0) + d0;
  let w0_b = i32(qx0_b) + d0;
  let last_row = i32(p.in_h) - 1;
  for (var ky = ky0; ky < p.k_h; ky += p.stride_h) {
    // ty is a multiple of sy for this phase's kernel rows, so iy = ty / sy exactly when ty ≥ 0.
    let ty = i32(oy + p.pad_top) - i32(ky);
    let ty_b = i32(oy_b + p.pad_top) - i32(ky);
    let iy = ty / i32(p.stride_h);
    let iy_b = ty_b / i32(p.stride_h);
    let ok_a = ty >= 0 && iy <= last_row;
    let ok_b = has_b && ty_b >= 0 && iy_b <= last_row;
    let row = (b * p.in_h + u32(clamp(iy, 0, last_row))) * p.in_w;
    let row_b = (b * p.in_h + u32(clamp(iy_b, 0, last_row))) * p.in_w;
    for (var c4 = 0u; c4 < in_c4; c4++) {
      let x0 = load_x(row, ok_a, w0 + 0, p.in_w, in_c4, c4);
      let x1 = load_x(row, ok_a, w0 + 1, p.in_w, in_c4, c4);
      let x2 = load_x(row, ok_a, w0 + 2, p.in_w, in_c4, c4);
      let x3 = load_x(row, ok_a, w0 + 3, p.in_w, in_c4, c4);
      let x4 = load_x(row, ok_a, w0 + 4, p.in_w, in_c4, c4);
      let x5 = load_x(row, ok_a, w0 + 5, p.in_w, in_c4, c4);
      let x6 = load_x(row, ok_a, w0 + 6, p.in_w, in_c4, c4);
      let x7 = load_x(row, ok_a, w0 + 7, p.in_w, in_c4, c4);
      let y0 = load_x(row_b, ok_b, w0_b + 0, p.in_w, in_c4, c4);
      let y1 = load_x(row_b, ok_b, w0_b + 1, p.in_w, in_c4, c4);
      let y2 = load_x(row_b, ok_b, w0_b + 2, p.in_w, in_c4, c4);
      let y3 = load_x(row_b, ok_b, w0_b + 3, p.in_w, in_c4, c4);
      let y4 = load_x(row_b, ok_b, w0_b + 4, p.in_w, in_c4, c4);
      let y5 = load_x(row_b, ok_b, w0_b + 5, p.in_w, in_c4, c4);
      let y6 = load_x(row_b, ok_b, w0_b + 6, p.in_w, in_c4, c4);
      let y7 = load_x(row_b, ok_b, w0_b + 7, p.in_w, in_c4, c4);
      // First x-tap: pixel j reads slot j + 1.
      var base = ((ky * p.k_w + kx0) * p.in_c + c4 * 4u) * p.co_vecs + b4;
      var m0 = weights(base, p.co_vecs, 0u);
      var m1 = weights(base, p.co_vecs, 1u);
      var m2 = weights(base, p.co_vecs, 2u);
      var m3 = weights(base, p.co_vecs, 3u);
      a0 = mac(a0, m0, m1, m2, m3, x1);
      a1 = mac(a1, m0, m1, m2, m3, x2);
      a2 = mac(a2, m0, m1, m2, m3, x3);
      a3 = mac(a3, m0, m1, m2, m3, x4);
      a4 = mac(a4, m0, m1, m2, m3, x5);
      a5 = mac(a5, m0, m1, m2, m3, x6);
      a6 = mac(a6, m0, m1, m2, m3, x7);
      a7 = mac(a7, m0, m1, m2, m3, y1);
      a8 = mac(a8, m0, m1, m2, m3, y2);
      a9 = mac(a9, m0, m1, m2, m3, y3);
      a10 = mac(a10, m0, m1, m2, m3, y4);
      a11 = mac(a11, m0, m1, m2, m3, y5);
      a12 = mac(a12, m0, m1, m2, m3, y6);
      a13 = mac(a13, m0, m1, m2, m3, y7);
      if (two_taps) {
        // Second x-tap: pixel j reads slot j.
        base += p.stride_w * p.in_c * p.co_vecs;
        m0 = weights(base, p.co_vecs, 0u);
        m1 = weights(base, p.co_vecs, 1u);
        m2 = weights(base, p.co_vecs, 2u);
        m3 = weights(base, p.co_vecs, 3u);
        a0 = mac(a0, m0, m1, m2, m3, x0);
        a1 = mac(a1, m0, m1, m2, m3, x1);
        a2 = mac(a2, m0, m1, m2, m3, x2);
        a3 = mac(a3, m0, m1, m2, m3, x3);
        a4 = mac(a4, m0, m1, m2, m3, x4);
        a5 = mac(a5, m0, m1, m2, m3, x5);
        a6 = mac(a6, m0, m1, m2, m3, x6);
        a7 = mac(a7, m0, m1, m2, m3, y0);
        a8 = mac(a8, m0, m1, m2, m3, y1);
        a9 = mac(a9, m0, m1, m2, m3, y2);
        a10 = mac(a10, m0, m1, m2, m3, y3);
        a11 = mac(a11, m0, m1, m2, m3, y4);
        a12 = mac(a12, m0, m1, m2, m3, y5);
        a13 = mac(a13, m0, m1, m2, m3, y6);
      }
    }
  }
  let co0 = cob * 16u;
  store(a0, 0u, qx0, qw, oy, true, b, px, co0);
  store(a1, 1u, qx0, qw, oy, true, b, px, co0);
  store(a2, 2u, qx0, qw, oy, true, b, px, co0);
  store(a3, 3u, qx0, qw, oy, true, b, px, co0);
  store(a4, 4u, qx0, qw, oy, true, b, px, co0);
  store(a5, 5u, qx0, qw, oy, true, b, px, co0);
  store(a6, 6u, qx0, qw, oy, true, b, px, co0);
  store(a7, 0u, qx0_b, qw, oy_b, has_b, b, px, co0);
  store(a8, 1u, qx0_b, qw, oy_b, has_b, b, px, co0);
  store(a9, 2u, qx0_b, qw, oy_b, has_b, b, px, co0);
  store(a10, 3u, qx0_b, qw, oy_b, has_b, b, px, co0);
  store(a11, 4u, qx0_b, qw, oy_b, has_b, b, px, co0);
  store(a12, 5u, qx0_b, qw, oy_b, has_b, b, px, co0);
  store(a13, 6u, qx0_b, qw, oy_b, has_b, b, px, co0);
}
