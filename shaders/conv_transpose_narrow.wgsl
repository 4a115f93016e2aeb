// Transposed convolution with few output channels (the decoder's last layer: 16 → 1), stride 1,
// bias and activation fused. TypeScript twin: convTransposeForward() in src/reference.ts;
// uniform packed by packConvTransposeParams() in src/gpu/kernels.ts.
// Version 1. The vec4 kernels spend their FMAs on 4 output channels at a time, so a layer with
// one output channel wasted three quarters of them. Here each invocation computes one output
// channel for 7 × 2 pixels, accumulating a vec4 over 4 input channels per pixel (summed at the
// end), and each input vec4 it loads serves the three x-taps through a window of 9 columns.
// Needs stride 1, kW ≤ 3 and inC a multiple of 4.

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
@group(0) @binding(2) var<storage, read> kernel: array<vec4f>;  // (kH, kW, outC, inC/4) of vec4
@group(0) @binding(3) var<storage, read> bias: array<f32>;      // (outC)
@group(0) @binding(4) var<storage, read_write> out: array<f32>; // (B, outH, outW, outC)

override WG: u32 = 64;

fn activate(v: f32, code: u32) -> f32 {
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

fn store(acc: vec4f, b: u32, oy: u32, ox: u32, co: u32, bias_v: f32) {
  let p = params;
  if (oy >= p.out_h || ox >= p.out_w) { return; }
  let v = acc.x + acc.y + acc.z + acc.w + bias_v;
  out[((b * p.out_h + oy) * p.out_w + ox) * p.out_c + co] = activate(v, p.activation);
}

// Workgroup g (uniform) → (output channel co, tile); lane → (run of 7 columns, row pair, frame).
// Pixel j of a row reads, through x-tap kx, input column ox0 + j + pad − kx: window slot
// j + 2 − kx of a window starting at column ox0 + pad − 2.
@compute @workgroup_size(WG)
fn main(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) groups: vec3u,
  @builtin(local_invocation_index) lid: u32,
) {
  let p = params;
  let g = wid.x + wid.y * groups.x;
  let runs = (p.out_w + 6u) / 7u;
  let pairs = (p.out_h + 1u) / 2u;
  let per_channel = (p.batch * pairs * runs + WG - 1u) / WG; // workgroups per output channel
  let co = g / per_channel;
  if (co >= p.out_c) { return; }
  let n = (g % per_channel) * WG + lid;
  if (n >= p.batch * pairs * runs) { return; }
  let ox0 = (n % runs) * 7u;
  let t = n / runs;
  let oy = (t % pairs) * 2u;
  let b = t / pairs;
  let w0 = i32(ox0 + p.pad_left) - 2;
  let k4 = p.in_c / 4u;

  var a0 = vec4f(0.0);
  var a1 = vec4f(0.0);
  var a2 = vec4f(0.0);
  var a3 = vec4f(0.0);
  var a4 = vec4f(0.0);
  var a5 = vec4f(0.0);
  var a6 = vec4f(0.0);
  var b0 = vec4f(0.0);
  var b1 = vec4f(0.0);
  var b2 = vec4f(0.0);
  var b3 = vec4f(0.0);
  var b4 = vec4f(0.0);
  var b5 = vec4f(0.0);
  var b6 = vec4f(0.0);
  for (var ky = 0u; ky < p.k_h; ky++) {
    // Output rows oy and oy + 1 read input rows iy and iy + 1 through kernel row ky.
    let iy = i32(oy + p.pad_top) - i32(ky);
    let ok_a = iy >= 0 && iy < i32(p.in_h);
    let ok_b = iy + 1 >= 0 && iy + 1 < i32(p.in_h);
    let row_a = (b * p.in_h + u32(clamp(iy, 0, i32(p.in_h) - 1))) * p.in_w;
    let row_b = (b * p.in_h + u32(clamp(iy + 1, 0, i32(p.in_h) - 1))) * p.in_w;
    for (var c4 = 0u; c4 < k4; c4++) {
      let x0 = load_x(row_a, ok_a, w0 + 0, c4);
      let x1 = load_x(row_a, ok_a, w0 + 1, c4);
      let x2 = load_x(row_a, ok_a, w0 + 2, c4);
      let x3 = load_x(row_a, ok_a, w0 + 3, c4);
      let x4 = load_x(row_a, ok_a, w0 + 4, c4);
      let x5 = load_x(row_a, ok_a, w0 + 5, c4);
      let x6 = load_x(row_a, ok_a, w0 + 6, c4);
      let x7 = load_x(row_a, ok_a, w0 + 7, c4);
      let x8 = load_x(row_a, ok_a, w0 + 8, c4);
      let y0 = load_x(row_b, ok_b, w0 + 0, c4);
      let y1 = load_x(row_b, ok_b, w0 + 1, c4);
      let y2 = load_x(row_b, ok_b, w0 + 2, c4);
      let y3 = load_x(row_b, ok_b, w0 + 3, c4);
      let y4 = load_x(row_b, ok_b, w0 + 4, c4);
      let y5 = load_x(row_b, ok_b, w0 + 5, c4);
      let y6 = load_x(row_b, ok_b, w0 + 6, c4);
      let y7 = load_x(row_b, ok_b, w0 + 7, c4);
      let y8 = load_x(row_b, ok_b, w0 + 8, c4);
      if (0u < p.k_w) {
        let w = kernel[((ky * p.k_w + 0u) * p.out_c + co) * k4 + c4];
        a0 = fma(x2, w, a0);
        a1 = fma(x3, w, a1);
        a2 = fma(x4, w, a2);
        a3 = fma(x5, w, a3);
        a4 = fma(x6, w, a4);
        a5 = fma(x7, w, a5);
        a6 = fma(x8, w, a6);
        b0 = fma(y2, w, b0);
        b1 = fma(y3, w, b1);
        b2 = fma(y4, w, b2);
        b3 = fma(y5, w, b3);
        b4 = fma(y6, w, b4);
        b5 = fma(y7, w, b5);
        b6 = fma(y8, w, b6);
      }
      if (1u < p.k_w) {
        let w = kernel[((ky * p.k_w + 1u) * p.out_c + co) * k4 + c4];
        a0 = fma(x1, w, a0);
        a1 = fma(x2, w, a1);
        a2 = fma(x3, w, a2);
        a3 = fma(x4, w, a3);
        a4 = fma(x5, w, a4);
        a5 = fma(x6, w, a5);
        a6 = fma(x7, w, a6);
        b0 = fma(y1, w, b0);
        b1 = fma(y2, w, b1);
        b2 = fma(y3, w, b2);
        b3 = fma(y4, w, b3);
        b4 = fma(y5, w, b4);
        b5 = fma(y6, w, b5);
        b6 = fma(y7, w, b6);
      }
      if (2u < p.k_w) {
        let w = kernel[((ky * p.k_w + 2u) * p.out_c + co) * k4 + c4];
        a0 = fma(x0, w, a0);
        a1 = fma(x1, w, a1);
        a2 = fma(x2, w, a2);
        a3 = fma(x3, w, a3);
        a4 = fma(x4, w, a4);
        a5 = fma(x5, w, a5);
        a6 = fma(x6, w, a6);
        b0 = fma(y0, w, b0);
        b1 = fma(y1, w, b1);
        b2 = fma(y2, w, b2);
        b3 = fma(y3, w, b3);
        b4 = fma(y4, w, b4);
        b5 = fma(y5, w, b5);
        b6 = fma(y6, w, b6);
      }
    }
  }
  let bias_v = bias[co];
  store(a0, b, oy, ox0 + 0u, co, bias_v);
  store(a1, b, oy, ox0 + 1u, co, bias_v);
  store(a2, b, oy, ox0 + 2u, co, bias_v);
  store(a3, b, oy, ox0 + 3u, co, bias_v);
  store(a4, b, oy, ox0 + 4u, co, bias_v);
  store(a5, b, oy, ox0 + 5u, co, bias_v);
  store(a6, b, oy, ox0 + 6u, co, bias_v);
  store(b0, b, oy + 1u, ox0 + 0u, co, bias_v);
  store(b1, b, oy + 1u, ox0 + 1u, co, bias_v);
  store(b2, b, oy + 1u, ox0 + 2u, co, bias_v);
  store(b3, b, oy + 1u, ox0 + 3u, co, bias_v);
  store(b4, b, oy + 1u, ox0 + 4u, co, bias_v);
  store(b5, b, oy + 1u, ox0 + 5u, co, bias_v);
  store(b6, b, oy + 1u, ox0 + 6u, co, bias_v);
}
