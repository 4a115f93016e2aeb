// Transposed convolution (tfjs conv2dTranspose semantics), bias and activation fused, for
// adapters where a load costs far more than an FMA (llvmpipe: ~18 ns a vec4 load at a uniform
// address, ~38 ns at a per-invocation one, against ~0.6 ns a SIMD FMA).
// TypeScript twin: convTransposeForward() in src/reference.ts (weights re-laid by
// packBlockedWeights() with 4 vec4s a block); uniform packed by packConvTransposeRowsParams()
// in src/gpu/kernels.ts.
//
// Version 3 (after conv_transpose_blocked.wgsl). Each invocation computes 7 neighbouring pixels
// of one phase row × 16 output channels, held in seven mat4x4f (a column = 4 channels):
// - no private arrays: llvmpipe keeps an array that its unroller gives up on in scratch memory,
//   where every access costs as much as a buffer load, so the 7 pixels are named values;
// - each weight vec4 feeds 7 pixels; a 4×16 weight block is four mat4x4f, and W·x is 4 FMAs;
// - each input vec4 is loaded once per kernel row and serves both x-taps of the phase through a
//   window of 8 columns, so a phase may have at most 2 taps along x (kW ≤ 2·sW).

struct Params {
  batch: u32,
  in_h: u32,
  in_w: u32,
  in_c: u32,       // multiple of 4
  out_h: u32,
  out_w: u32,
  out_c: u32,
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
@group(0) @binding(2) var<storage, read> kernel: array<vec4f>;  // (kH, kW, inC, co_vecs) of vec4
@group(0) @binding(3) var<storage, read> bias: array<vec4f>;    // (co_vecs) of vec4
@group(0) @binding(4) var<storage, read_write> out: array<f32>; // (B, outH, outW, outC)

override WG: u32 = 64;
const PIX = 7u;

fn activate(v: vec4f, code: u32) -> vec4f {
  if (code == 1u) { return max(v, vec4f(0.0)); }
  if (code == 2u) { return 1.0 / (1.0 + exp(-v)); }
  if (code == 3u) { return tanh(v); }
  return v;
}

// Input column ix of row `row`, channels 4·c4…+3; zero outside the row.
fn load_x(row: u32, ix: i32, in_w: u32, in_c4: u32, c4: u32) -> vec4f {
  let ok = ix >= 0 && ix < i32(in_w);
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

fn store(m: mat4x4f, j: u32, qx0: u32, qw: u32, ob0: u32, px: u32, co0: u32) {
  let p = params;
  if (qx0 + j >= qw) { return; }
  let ob = ob0 + (px + p.stride_w * (qx0 + j)) * p.out_c;
  for (var cv = 0u; cv < 4u; cv++) {
    let v = activate(m[cv], p.activation);
    let co = co0 + cv * 4u;
    for (var k = 0u; k < 4u; k++) {
      if (co + k < p.out_c) { out[ob + co + k] = v[k]; }
    }
  }
}

// Workgroup g (uniform) → (channel block, phase, tile); lane → (run, phase row qy, frame b).
// Pixel j of the run is output column px + sx·(qx0 + j). Its first x-tap (kernel column kx0)
// reads input column qx0 + j + d0, d0 = (px + pad − kx0) / sx, and its second (kx0 + sx) the
// column before: window slot j + 1 and slot j of a window starting at qx0 + d0 − 1.
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
  let runs = (qw + PIX - 1u) / PIX;
  let n = tile * WG + lid;
  if (n >= p.batch * qh * runs) { return; }
  let qx0 = (n % runs) * PIX;
  let t = n / runs;
  let qy = t % qh;
  let b = t / qh;
  let oy = py + p.stride_h * qy;
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

  let ky0 = (py + p.pad_top) % p.stride_h;
  let kx0 = (px + p.pad_left) % p.stride_w;
  let two_taps = kx0 + p.stride_w < p.k_w;
  let w0 = i32(qx0) + i32(px + p.pad_left - kx0) / i32(p.stride_w) - 1; // window slot 0
  for (var ky = ky0; ky < p.k_h; ky += p.stride_h) {
    let ty = i32(oy + p.pad_top) - i32(ky);
    let iy = ty / i32(p.stride_h);
    if (ty < 0 || iy >= i32(p.in_h)) { continue; }
    let row = (b * p.in_h + u32(iy)) * p.in_w;
    for (var c4 = 0u; c4 < in_c4; c4++) {
      let x0 = load_x(row, w0, p.in_w, in_c4, c4);
      let x1 = load_x(row, w0 + 1, p.in_w, in_c4, c4);
      let x2 = load_x(row, w0 + 2, p.in_w, in_c4, c4);
      let x3 = load_x(row, w0 + 3, p.in_w, in_c4, c4);
      let x4 = load_x(row, w0 + 4, p.in_w, in_c4, c4);
      let x5 = load_x(row, w0 + 5, p.in_w, in_c4, c4);
      let x6 = load_x(row, w0 + 6, p.in_w, in_c4, c4);
      let x7 = load_x(row, w0 + 7, p.in_w, in_c4, c4);
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
      }
    }
  }
  let ob0 = (b * p.out_h + oy) * p.out_w * p.out_c;
  let co0 = cob * 16u;
  store(a0, 0u, qx0, qw, ob0, px, co0);
  store(a1, 1u, qx0, qw, ob0, px, co0);
  store(a2, 2u, qx0, qw, ob0, px, co0);
  store(a3, 3u, qx0, qw, ob0, px, co0);
  store(a4, 4u, qx0, qw, ob0, px, co0);
  store(a5, 5u, qx0, qw, ob0, px, co0);
  store(a6, 6u, qx0, qw, ob0, px, co0);
}
