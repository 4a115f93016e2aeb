// Transposed convolution at stride 2 along x with a 3-wide kernel and no left padding (tfjs
// conv2dTranspose, kernel 3, stride 2, "same" or "valid", which crop only on the right: the
// decoder's upsampling layers), bias and activation fused. TypeScript twin: convTransposeForward() in src/reference.ts (weights re-laid
// by packBlockedWeights() with planPairs()); uniform packed by packConvTransposeBlockedParams() in
// src/gpu/kernels.ts (the same fields as conv_transpose_blocked.wgsl).
//
// Version 4 (after conv_transpose_rows.wgsl, version 3). On llvmpipe (Mesa 22) a storage load is
// a loop over the SIMD lanes, ~20 ns for a vec4 against ~0.6 ns for an 8-lane FMA, and in
// version 3 the input loads had become the larger half of the time. Both x-phases of an output
// row read the same input columns — with no padding, output column 2q takes input q through
// kernel column 0 and q − 1 through column 2, and 2q + 1 takes q through column 1 — so this
// version computes them together from one window of input columns: half the input loads of version 3, the same weight
// loads per FMA. Each invocation covers 7 input columns × both x-phases × 2 phase rows of one
// y-phase × 16 output channels: 28 pixels in 28 named mat4x4f (a column = 4 channels; an array
// the compiler fails to unroll would live in scratch memory, as costly as a buffer load).
// Measured on llvmpipe, layer by layer, in the README's kernel log.

struct Params {
  batch: u32,
  in_h: u32,
  in_w: u32,
  in_c: u32,       // multiple of 4
  out_h: u32,
  out_w: u32,
  out_c: u32,      // multiple of 4
  k_h: u32,
  k_w: u32,        // 3
  stride_h: u32,
  stride_w: u32,   // 2
  pad_top: u32,
  pad_left: u32,   // 0
  activation: u32, // 0 linear, 1 relu, 2 sigmoid, 3 tanh
  co_vecs: u32,    // output channels padded to a multiple of 16, in vec4s
  tiles: u32,      // workgroups per (y-phase, channel block)
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<vec4f>;       // (B, inH, inW, inC/4) of vec4
// The weights sit in a uniform buffer: llvmpipe loads a uniform address from one about twice as
// fast as from a storage buffer. 4096 vec4s (64 KiB) is the least maxUniformBufferBindingSize
// an adapter may have; larger layers take another kernel.
@group(0) @binding(2) var<uniform> kernel: array<vec4f, 4096>;  // (kH, 3, inC, co_vecs) of vec4
@group(0) @binding(3) var<storage, read> bias: array<vec4f>;    // (co_vecs) of vec4
// Written a vec4 at a time: on llvmpipe a store, like a load, costs the same for 1 or 4 floats.
@group(0) @binding(4) var<storage, read_write> out: array<vec4f>; // (B, outH, outW, outC/4) of vec4

override WG: u32 = 64;

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
fn load_x(row: u32, row_ok: bool, ix: i32, c4: u32) -> vec4f {
  let p = params;
  let ok = row_ok && ix >= 0 && ix < i32(p.in_w);
  return select(vec4f(0.0), x[(row + u32(select(0, ix, ok))) * (p.in_c / 4u) + c4], ok);
}

// acc + W·v for the four 4×4 blocks of a 4-input × 16-output weight block.
fn mac(acc: mat4x4f, w: array<mat4x4f, 4>, v: vec4f) -> mat4x4f {
  return mat4x4f(acc[0] + w[0] * v, acc[1] + w[1] * v, acc[2] + w[2] * v, acc[3] + w[3] * v);
}

// The 4×16 weight block of kernel row ky, column kx, input channels 4·c4…+3, output vec4s
// 4·cob…+3: block cv's column k is kernel[((ky·3 + kx)·inC + 4·c4 + k)·co_vecs + 4·cob + cv].
fn weights(ky: u32, kx: u32, c4: u32, b4: u32) -> array<mat4x4f, 4> {
  let p = params;
  let base = ((ky * 3u + kx) * p.in_c + c4 * 4u) * p.co_vecs + b4;
  let s = p.co_vecs;
  return array<mat4x4f, 4>(
    mat4x4f(kernel[base], kernel[base + s], kernel[base + 2u * s], kernel[base + 3u * s]),
    mat4x4f(kernel[base + 1u], kernel[base + s + 1u], kernel[base + 2u * s + 1u], kernel[base + 3u * s + 1u]),
    mat4x4f(kernel[base + 2u], kernel[base + s + 2u], kernel[base + 2u * s + 2u], kernel[base + 3u * s + 2u]),
    mat4x4f(kernel[base + 3u], kernel[base + s + 3u], kernel[base + 2u * s + 3u], kernel[base + 3u * s + 3u]),
  );
}

// Output (b, oy, ox), channels co0…co0+15, when the row exists and ox is inside the image.
fn store(m: mat4x4f, b: u32, oy: u32, row_ok: bool, ox: u32, co0: u32) {
  let p = params;
  if (!row_ok || ox >= p.out_w) { return; }
  let out_c4 = p.out_c / 4u;
  let ob = ((b * p.out_h + oy) * p.out_w + ox) * out_c4;
  for (var cv = 0u; cv < 4u; cv++) {
    let c = co0 / 4u + cv;
    if (c < out_c4) { out[ob + c] = activate(m[cv], p.activation); }
  }
}

// Workgroup g (uniform) → (channel block, y-phase py, tile); lane → (run q0…q0+6, phase-row
// pair qy and qy + 1, frame b). Output column 2q has two taps: input column q through kernel
// column 0 and q − 1 through column 2; column 2q + 1 has one, input q through column 1. Window
// slot s holds input column q0 − 1 + s (s = 0…7), so pixel j's two taps read slots j + 1 and j,
// and its one tap slot j + 1. Accumulators: t (row qy, even columns), o (row qy, odd columns),
// u and v the same for row qy + 1; index j is q0 + j.
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
  let py = rest % p.stride_h;
  let cob = rest / p.stride_h;
  if (cob * 4u >= p.co_vecs || py >= p.out_h) { return; }
  let qh = (p.out_h - py + p.stride_h - 1u) / p.stride_h;
  let runs = ((p.out_w + 1u) / 2u + 6u) / 7u;
  let pairs = (qh + 1u) / 2u;
  let n = tile * WG + lid;
  if (n >= p.batch * pairs * runs) { return; }
  let q0 = (n % runs) * 7u;
  let t = n / runs;
  let qy = (t % pairs) * 2u;
  let b = t / pairs;
  let oy = py + p.stride_h * qy;
  let oy2 = oy + p.stride_h;
  let has2 = qy + 1u < qh;
  let win = i32(q0) - 1;

  let b4 = cob * 4u;
  let bias_m = mat4x4f(bias[b4], bias[b4 + 1u], bias[b4 + 2u], bias[b4 + 3u]);
  var t0 = bias_m;
  var t1 = bias_m;
  var t2 = bias_m;
  var t3 = bias_m;
  var t4 = bias_m;
  var t5 = bias_m;
  var t6 = bias_m;
  var o0 = bias_m;
  var o1 = bias_m;
  var o2 = bias_m;
  var o3 = bias_m;
  var o4 = bias_m;
  var o5 = bias_m;
  var o6 = bias_m;
  var u0 = bias_m;
  var u1 = bias_m;
  var u2 = bias_m;
  var u3 = bias_m;
  var u4 = bias_m;
  var u5 = bias_m;
  var u6 = bias_m;
  var v0 = bias_m;
  var v1 = bias_m;
  var v2 = bias_m;
  var v3 = bias_m;
  var v4 = bias_m;
  var v5 = bias_m;
  var v6 = bias_m;

  let ky0 = (py + p.pad_top) % p.stride_h;
  let last_row = i32(p.in_h) - 1;
  for (var ky = ky0; ky < p.k_h; ky += p.stride_h) {
    // ty is a multiple of sy for this phase's kernel rows, so iy = ty / sy exactly when ty ≥ 0.
    let ty = i32(oy + p.pad_top) - i32(ky);
    let ty2 = i32(oy2 + p.pad_top) - i32(ky);
    let iy = ty / i32(p.stride_h);
    let iy2 = ty2 / i32(p.stride_h);
    let ok1 = ty >= 0 && iy <= last_row;
    let ok2 = has2 && ty2 >= 0 && iy2 <= last_row;
    let row1 = (b * p.in_h + u32(clamp(iy, 0, last_row))) * p.in_w;
    let row2 = (b * p.in_h + u32(clamp(iy2, 0, last_row))) * p.in_w;
    for (var c4 = 0u; c4 < p.in_c / 4u; c4++) {
      let x0 = load_x(row1, ok1, win + 0, c4);
      let x1 = load_x(row1, ok1, win + 1, c4);
      let x2 = load_x(row1, ok1, win + 2, c4);
      let x3 = load_x(row1, ok1, win + 3, c4);
      let x4 = load_x(row1, ok1, win + 4, c4);
      let x5 = load_x(row1, ok1, win + 5, c4);
      let x6 = load_x(row1, ok1, win + 6, c4);
      let x7 = load_x(row1, ok1, win + 7, c4);
      let y0 = load_x(row2, ok2, win + 0, c4);
      let y1 = load_x(row2, ok2, win + 1, c4);
      let y2 = load_x(row2, ok2, win + 2, c4);
      let y3 = load_x(row2, ok2, win + 3, c4);
      let y4 = load_x(row2, ok2, win + 4, c4);
      let y5 = load_x(row2, ok2, win + 5, c4);
      let y6 = load_x(row2, ok2, win + 6, c4);
      let y7 = load_x(row2, ok2, win + 7, c4);
      let w0 = weights(ky, 0u, c4, b4);
      t0 = mac(t0, w0, x1);
      t1 = mac(t1, w0, x2);
      t2 = mac(t2, w0, x3);
      t3 = mac(t3, w0, x4);
      t4 = mac(t4, w0, x5);
      t5 = mac(t5, w0, x6);
      t6 = mac(t6, w0, x7);
      u0 = mac(u0, w0, y1);
      u1 = mac(u1, w0, y2);
      u2 = mac(u2, w0, y3);
      u3 = mac(u3, w0, y4);
      u4 = mac(u4, w0, y5);
      u5 = mac(u5, w0, y6);
      u6 = mac(u6, w0, y7);
      let w2 = weights(ky, 2u, c4, b4);
      t0 = mac(t0, w2, x0);
      t1 = mac(t1, w2, x1);
      t2 = mac(t2, w2, x2);
      t3 = mac(t3, w2, x3);
      t4 = mac(t4, w2, x4);
      t5 = mac(t5, w2, x5);
      t6 = mac(t6, w2, x6);
      u0 = mac(u0, w2, y0);
      u1 = mac(u1, w2, y1);
      u2 = mac(u2, w2, y2);
      u3 = mac(u3, w2, y3);
      u4 = mac(u4, w2, y4);
      u5 = mac(u5, w2, y5);
      u6 = mac(u6, w2, y6);
      let w1 = weights(ky, 1u, c4, b4);
      o0 = mac(o0, w1, x1);
      o1 = mac(o1, w1, x2);
      o2 = mac(o2, w1, x3);
      o3 = mac(o3, w1, x4);
      o4 = mac(o4, w1, x5);
      o5 = mac(o5, w1, x6);
      o6 = mac(o6, w1, x7);
      v0 = mac(v0, w1, y1);
      v1 = mac(v1, w1, y2);
      v2 = mac(v2, w1, y3);
      v3 = mac(v3, w1, y4);
      v4 = mac(v4, w1, y5);
      v5 = mac(v5, w1, y6);
      v6 = mac(v6, w1, y7);
    }
  }
  let co0 = cob * 16u;
  store(t0, b, oy, true, 2u * (q0 + 0u), co0);
  store(t1, b, oy, true, 2u * (q0 + 1u), co0);
  store(t2, b, oy, true, 2u * (q0 + 2u), co0);
  store(t3, b, oy, true, 2u * (q0 + 3u), co0);
  store(t4, b, oy, true, 2u * (q0 + 4u), co0);
  store(t5, b, oy, true, 2u * (q0 + 5u), co0);
  store(t6, b, oy, true, 2u * (q0 + 6u), co0);
  store(o0, b, oy, true, 2u * (q0 + 0u) + 1u, co0);
  store(o1, b, oy, true, 2u * (q0 + 1u) + 1u, co0);
  store(o2, b, oy, true, 2u * (q0 + 2u) + 1u, co0);
  store(o3, b, oy, true, 2u * (q0 + 3u) + 1u, co0);
  store(o4, b, oy, true, 2u * (q0 + 4u) + 1u, co0);
  store(o5, b, oy, true, 2u * (q0 + 5u) + 1u, co0);
  store(o6, b, oy, true, 2u * (q0 + 6u) + 1u, co0);
  store(u0, b, oy2, has2, 2u * (q0 + 0u), co0);
  store(u1, b, oy2, has2, 2u * (q0 + 1u), co0);
  store(u2, b, oy2, has2, 2u * (q0 + 2u), co0);
  store(u3, b, oy2, has2, 2u * (q0 + 3u), co0);
  store(u4, b, oy2, has2, 2u * (q0 + 4u), co0);
  store(u5, b, oy2, has2, 2u * (q0 + 5u), co0);
  store(u6, b, oy2, has2, 2u * (q0 + 6u), co0);
  store(v0, b, oy2, has2, 2u * (q0 + 0u) + 1u, co0);
  store(v1, b, oy2, has2, 2u * (q0 + 1u) + 1u, co0);
  store(v2, b, oy2, has2, 2u * (q0 + 2u) + 1u, co0);
  store(v3, b, oy2, has2, 2u * (q0 + 3u) + 1u, co0);
  store(v4, b, oy2, has2, 2u * (q0 + 4u) + 1u, co0);
  store(v5, b, oy2, has2, 2u * (q0 + 5u) + 1u, co0);
  store(v6, b, oy2, has2, 2u * (q0 + 6u) + 1u, co0);
}
