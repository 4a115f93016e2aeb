// Transposed convolution with few output channels (the decoder's last layer: 16 → 1), stride 1,
// bias and activation fused. TypeScript twin: convTransposeForward() in src/reference.ts;
// uniform packed by packConvTransposeParams() in src/gpu/kernels.ts.
// Version 2. The vec4 kernels spend their FMAs on 4 output channels at a time, so a layer with
// one output channel wasted three quarters of them. Here each invocation computes one output
// channel for 4 rows × 7 columns, accumulating a vec4 over 4 input channels per pixel (summed at
// the end). It walks the input rows those output rows need, loading each once as a window of 9
// columns that serves every kernel row and all three x-taps, and it loads the 3×3 taps of a
// channel block once for the whole walk (version 1 took 2 rows a pass and loaded each input row
// once per kernel row: twice the input loads per FMA).
// Needs stride 1, kH ≤ 3, kW ≤ 3, inC a multiple of 4, and the kernel within 4096 vec4s (its uniform
// array: 64 KiB, the least maxUniformBufferBindingSize an adapter may have).

struct Params {
  batch: u32,
  in_h: u32,
  in_w: u32,
  in_c: u32,       // multiple of 4
  out_h: u32,
  out_w: u32,
  out_c: u32,
  k_h: u32,
  k_w: u32,        // ≤ 3
  stride_h: u32,   // 1
  stride_w: u32,   // 1
  pad_top: u32,
  pad_left: u32,
  activation: u32, // 0 linear, 1 relu, 2 sigmoid, 3 tanh
  _pad0: u32,
  _pad1: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<vec4f>;       // (B, inH, inW, inC/4) of vec4
// Uniform: llvmpipe loads a uniform address from one about twice as fast as from storage.
@group(0) @binding(2) var<uniform> kernel: array<vec4f, 4096>;  // (kH, kW, outC, inC/4) of vec4
@group(0) @binding(3) var<storage, read> bias: array<f32>;      // (outC)
@group(0) @binding(4) var<storage, read_write> out: array<f32>; // (B, outH, outW, outC)

override WG: u32 = 64;

// The pipeline's ACTIVATION constant where it was made with one (the decoder makes one per layer:
// the other three then fold away, where llvmpipe would run all four under a mask), else the
// uniform's code (0–3 as in Params).
override ACTIVATION: u32 = 4u;

fn activate(v: f32, uniform_code: u32) -> f32 {
  let code = select(uniform_code, ACTIVATION, ACTIVATION < 4u);
  if (code == 1u) { return max(v, 0.0); }
  if (code == 2u) { return 1.0 / (1.0 + exp(-v)); }
  if (code == 3u) { return tanh(v); }
  return v;
}

// Input (row, column ix), channels 4·c4…+3; zero outside the image.
fn load_x(row: u32, row_ok: bool, ix: i32, c4: u32) -> vec4f {
  let p = params;
  let ok = row_ok && ix >= 0 && ix < i32(p.in_w);
  return select(vec4f(0.0), x[(row + u32(select(0, ix, ok))) * (p.in_c / 4u) + c4], ok);
}

// Kernel vec4 (ky, kx, co, c4); zero for a tap outside the kernel.
fn tap(ky: i32, kx: u32, co: u32, c4: u32) -> vec4f {
  let p = params;
  let ok = ky >= 0 && ky < i32(p.k_h) && kx < p.k_w;
  let i = ((u32(select(0, ky, ok)) * p.k_w + kx) * p.out_c + co) * (p.in_c / 4u) + c4;
  return select(vec4f(0.0), kernel[min(i, 4095u)], ok);
}

fn store(acc: vec4f, b: u32, oy: u32, ox: u32, co: u32, bias_v: f32) {
  let p = params;
  if (oy >= p.out_h || ox >= p.out_w) { return; }
  let v = acc.x + acc.y + acc.z + acc.w + bias_v;
  out[((b * p.out_h + oy) * p.out_w + ox) * p.out_c + co] = activate(v, p.activation);
}

// Workgroup g (uniform) → (output channel co, tile); lane → (run of 7 columns ox0…, rows
// oy…oy+3, frame fb). Input row ir of the walk is iy = oy + pad − (kH − 1) + ir; output row
// oy + r reads it through kernel row ky = r + kH − 1 − ir. Pixel j reads, through x-tap kx, input
// column ox0 + j + pad − kx: window slot j + 2 − kx of a window starting at ox0 + pad − 2.
// Accumulator r{r}_{j}: output row oy + r, column ox0 + j.
@compute @workgroup_size(WG)
fn main(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) groups: vec3u,
  @builtin(local_invocation_index) lid: u32,
) {
  let p = params;
  let g = wid.x + wid.y * groups.x;
  let runs = (p.out_w + 6u) / 7u;
  let quads = (p.out_h + 3u) / 4u;
  let per_channel = (p.batch * quads * runs + WG - 1u) / WG; // workgroups per output channel
  let co = g / per_channel;
  if (co >= p.out_c) { return; }
  let n = (g % per_channel) * WG + lid;
  if (n >= p.batch * quads * runs) { return; }
  let ox0 = (n % runs) * 7u;
  let t = n / runs;
  let oy = (t % quads) * 4u;
  let fb = t / quads;
  let w0 = i32(ox0 + p.pad_left) - 2;
  let k4 = p.in_c / 4u;
  let top = i32(oy + p.pad_top) - i32(p.k_h - 1u);

  var r0_0 = vec4f(0.0);
  var r0_1 = vec4f(0.0);
  var r0_2 = vec4f(0.0);
  var r0_3 = vec4f(0.0);
  var r0_4 = vec4f(0.0);
  var r0_5 = vec4f(0.0);
  var r0_6 = vec4f(0.0);
  var r1_0 = vec4f(0.0);
  var r1_1 = vec4f(0.0);
  var r1_2 = vec4f(0.0);
  var r1_3 = vec4f(0.0);
  var r1_4 = vec4f(0.0);
  var r1_5 = vec4f(0.0);
  var r1_6 = vec4f(0.0);
  var r2_0 = vec4f(0.0);
  var r2_1 = vec4f(0.0);
  var r2_2 = vec4f(0.0);
  var r2_3 = vec4f(0.0);
  var r2_4 = vec4f(0.0);
  var r2_5 = vec4f(0.0);
  var r2_6 = vec4f(0.0);
  var r3_0 = vec4f(0.0);
  var r3_1 = vec4f(0.0);
  var r3_2 = vec4f(0.0);
  var r3_3 = vec4f(0.0);
  var r3_4 = vec4f(0.0);
  var r3_5 = vec4f(0.0);
  var r3_6 = vec4f(0.0);
  for (var c4 = 0u; c4 < k4; c4++) {
    // The channel block's 3×3 taps, loaded once for every input row of the walk.
    let t00 = tap(0, 0u, co, c4);
    let t01 = tap(0, 1u, co, c4);
    let t02 = tap(0, 2u, co, c4);
    let t10 = tap(1, 0u, co, c4);
    let t11 = tap(1, 1u, co, c4);
    let t12 = tap(1, 2u, co, c4);
    let t20 = tap(2, 0u, co, c4);
    let t21 = tap(2, 1u, co, c4);
    let t22 = tap(2, 2u, co, c4);
    for (var ir = 0u; ir < p.k_h + 3u; ir++) {
      let iy = top + i32(ir);
      let ok = iy >= 0 && iy < i32(p.in_h);
      let row = (fb * p.in_h + u32(clamp(iy, 0, i32(p.in_h) - 1))) * p.in_w;
      let x0 = load_x(row, ok, w0 + 0, c4);
      let x1 = load_x(row, ok, w0 + 1, c4);
      let x2 = load_x(row, ok, w0 + 2, c4);
      let x3 = load_x(row, ok, w0 + 3, c4);
      let x4 = load_x(row, ok, w0 + 4, c4);
      let x5 = load_x(row, ok, w0 + 5, c4);
      let x6 = load_x(row, ok, w0 + 6, c4);
      let x7 = load_x(row, ok, w0 + 7, c4);
      let x8 = load_x(row, ok, w0 + 8, c4);
      let ky = i32(p.k_h - 1u) - i32(ir); // kernel row for output row oy; oy + r uses ky + r
      if (ky + 0 >= 0 && ky + 0 < i32(p.k_h)) {
        let k = ky + 0;
        let s0 = select(select(t00, t10, k == 1), t20, k == 2);
        let s1 = select(select(t01, t11, k == 1), t21, k == 2);
        let s2 = select(select(t02, t12, k == 1), t22, k == 2);
        r0_0 = fma(x2, s0, r0_0);
        r0_1 = fma(x3, s0, r0_1);
        r0_2 = fma(x4, s0, r0_2);
        r0_3 = fma(x5, s0, r0_3);
        r0_4 = fma(x6, s0, r0_4);
        r0_5 = fma(x7, s0, r0_5);
        r0_6 = fma(x8, s0, r0_6);
        r0_0 = fma(x1, s1, r0_0);
        r0_1 = fma(x2, s1, r0_1);
        r0_2 = fma(x3, s1, r0_2);
        r0_3 = fma(x4, s1, r0_3);
        r0_4 = fma(x5, s1, r0_4);
        r0_5 = fma(x6, s1, r0_5);
        r0_6 = fma(x7, s1, r0_6);
        r0_0 = fma(x0, s2, r0_0);
        r0_1 = fma(x1, s2, r0_1);
        r0_2 = fma(x2, s2, r0_2);
        r0_3 = fma(x3, s2, r0_3);
        r0_4 = fma(x4, s2, r0_4);
        r0_5 = fma(x5, s2, r0_5);
        r0_6 = fma(x6, s2, r0_6);
      }
      if (ky + 1 >= 0 && ky + 1 < i32(p.k_h)) {
        let k = ky + 1;
        let s0 = select(select(t00, t10, k == 1), t20, k == 2);
        let s1 = select(select(t01, t11, k == 1), t21, k == 2);
        let s2 = select(select(t02, t12, k == 1), t22, k == 2);
        r1_0 = fma(x2, s0, r1_0);
        r1_1 = fma(x3, s0, r1_1);
        r1_2 = fma(x4, s0, r1_2);
        r1_3 = fma(x5, s0, r1_3);
        r1_4 = fma(x6, s0, r1_4);
        r1_5 = fma(x7, s0, r1_5);
        r1_6 = fma(x8, s0, r1_6);
        r1_0 = fma(x1, s1, r1_0);
        r1_1 = fma(x2, s1, r1_1);
        r1_2 = fma(x3, s1, r1_2);
        r1_3 = fma(x4, s1, r1_3);
        r1_4 = fma(x5, s1, r1_4);
        r1_5 = fma(x6, s1, r1_5);
        r1_6 = fma(x7, s1, r1_6);
        r1_0 = fma(x0, s2, r1_0);
        r1_1 = fma(x1, s2, r1_1);
        r1_2 = fma(x2, s2, r1_2);
        r1_3 = fma(x3, s2, r1_3);
        r1_4 = fma(x4, s2, r1_4);
        r1_5 = fma(x5, s2, r1_5);
        r1_6 = fma(x6, s2, r1_6);
      }
      if (ky + 2 >= 0 && ky + 2 < i32(p.k_h)) {
        let k = ky + 2;
        let s0 = select(select(t00, t10, k == 1), t20, k == 2);
        let s1 = select(select(t01, t11, k == 1), t21, k == 2);
        let s2 = select(select(t02, t12, k == 1), t22, k == 2);
        r2_0 = fma(x2, s0, r2_0);
        r2_1 = fma(x3, s0, r2_1);
        r2_2 = fma(x4, s0, r2_2);
        r2_3 = fma(x5, s0, r2_3);
        r2_4 = fma(x6, s0, r2_4);
        r2_5 = fma(x7, s0, r2_5);
        r2_6 = fma(x8, s0, r2_6);
        r2_0 = fma(x1, s1, r2_0);
        r2_1 = fma(x2, s1, r2_1);
        r2_2 = fma(x3, s1, r2_2);
        r2_3 = fma(x4, s1, r2_3);
        r2_4 = fma(x5, s1, r2_4);
        r2_5 = fma(x6, s1, r2_5);
        r2_6 = fma(x7, s1, r2_6);
        r2_0 = fma(x0, s2, r2_0);
        r2_1 = fma(x1, s2, r2_1);
        r2_2 = fma(x2, s2, r2_2);
        r2_3 = fma(x3, s2, r2_3);
        r2_4 = fma(x4, s2, r2_4);
        r2_5 = fma(x5, s2, r2_5);
        r2_6 = fma(x6, s2, r2_6);
      }
      if (ky + 3 >= 0 && ky + 3 < i32(p.k_h)) {
        let k = ky + 3;
        let s0 = select(select(t00, t10, k == 1), t20, k == 2);
        let s1 = select(select(t01, t11, k == 1), t21, k == 2);
        let s2 = select(select(t02, t12, k == 1), t22, k == 2);
        r3_0 = fma(x2, s0, r3_0);
        r3_1 = fma(x3, s0, r3_1);
        r3_2 = fma(x4, s0, r3_2);
        r3_3 = fma(x5, s0, r3_3);
        r3_4 = fma(x6, s0, r3_4);
        r3_5 = fma(x7, s0, r3_5);
        r3_6 = fma(x8, s0, r3_6);
        r3_0 = fma(x1, s1, r3_0);
        r3_1 = fma(x2, s1, r3_1);
        r3_2 = fma(x3, s1, r3_2);
        r3_3 = fma(x4, s1, r3_3);
        r3_4 = fma(x5, s1, r3_4);
        r3_5 = fma(x6, s1, r3_5);
        r3_6 = fma(x7, s1, r3_6);
        r3_0 = fma(x0, s2, r3_0);
        r3_1 = fma(x1, s2, r3_1);
        r3_2 = fma(x2, s2, r3_2);
        r3_3 = fma(x3, s2, r3_3);
        r3_4 = fma(x4, s2, r3_4);
        r3_5 = fma(x5, s2, r3_5);
        r3_6 = fma(x6, s2, r3_6);
      }
    }
  }
  let bias_v = bias[co];
  store(r0_0, fb, oy + 0u, ox0 + 0u, co, bias_v);
  store(r0_1, fb, oy + 0u, ox0 + 1u, co, bias_v);
  store(r0_2, fb, oy + 0u, ox0 + 2u, co, bias_v);
  store(r0_3, fb, oy + 0u, ox0 + 3u, co, bias_v);
  store(r0_4, fb, oy + 0u, ox0 + 4u, co, bias_v);
  store(r0_5, fb, oy + 0u, ox0 + 5u, co, bias_v);
  store(r0_6, fb, oy + 0u, ox0 + 6u, co, bias_v);
  store(r1_0, fb, oy + 1u, ox0 + 0u, co, bias_v);
  store(r1_1, fb, oy + 1u, ox0 + 1u, co, bias_v);
  store(r1_2, fb, oy + 1u, ox0 + 2u, co, bias_v);
  store(r1_3, fb, oy + 1u, ox0 + 3u, co, bias_v);
  store(r1_4, fb, oy + 1u, ox0 + 4u, co, bias_v);
  store(r1_5, fb, oy + 1u, ox0 + 5u, co, bias_v);
  store(r1_6, fb, oy + 1u, ox0 + 6u, co, bias_v);
  store(r2_0, fb, oy + 2u, ox0 + 0u, co, bias_v);
  store(r2_1, fb, oy + 2u, ox0 + 1u, co, bias_v);
  store(r2_2, fb, oy + 2u, ox0 + 2u, co, bias_v);
  store(r2_3, fb, oy + 2u, ox0 + 3u, co, bias_v);
  store(r2_4, fb, oy + 2u, ox0 + 4u, co, bias_v);
  store(r2_5, fb, oy + 2u, ox0 + 5u, co, bias_v);
  store(r2_6, fb, oy + 2u, ox0 + 6u, co, bias_v);
  store(r3_0, fb, oy + 3u, ox0 + 0u, co, bias_v);
  store(r3_1, fb, oy + 3u, ox0 + 1u, co, bias_v);
  store(r3_2, fb, oy + 3u, ox0 + 2u, co, bias_v);
  store(r3_3, fb, oy + 3u, ox0 + 3u, co, bias_v);
  store(r3_4, fb, oy + 3u, ox0 + 4u, co, bias_v);
  store(r3_5, fb, oy + 3u, ox0 + 5u, co, bias_v);
  store(r3_6, fb, oy + 3u, ox0 + 6u, co, bias_v);
}
