// Dense layer with bias and activation fused: out = act(x · kernel + bias), frames walked.
// TypeScript twin: denseForward() in src/reference.ts; uniform packed by packDenseParams() in
// src/gpu/kernels.ts (the same Params as dense.wgsl and dense_blocked.wgsl).
//
// Version 3 (after dense_blocked.wgsl, which a decoder still uses unless it bakes): on llvmpipe
// every load from a buffer is a gather, lane by lane, and dense_blocked.wgsl spent most of its
// time loading the kernel (16 vec4s for each 4 inputs of 8 frames). Here an invocation loads the
// kernel's columns for its 16 units once, for all of IN ≤ 32 inputs, and keeps them (128 vec4s,
// in registers and on the stack, never reloaded), then walks FRAMES frames, loading only each
// frame's IN/4 input vec4s. Neighbouring invocations take neighbouring units of the same frames.
// Measured (README, "Performance", kernel log row 8): 3.0 against 5.8 ms for dense_blocked.wgsl in
// the kernel race at 1,024 frames; 6.3 against 11.7 ms in a scratch A/B of the whole decoder at
// 2,048. It compiles for ~1.1 s with Mesa's shader cache cold, so only a decoder that bakes (made
// for large batches) uses it.

struct Params {
  batch: u32,       // frames in this dispatch
  in_dim: u32,      // IN: a multiple of 4, at most 32
  units: u32,       // UNITS: a multiple of 16
  activation: u32,  // 0 linear, 1 relu, 2 sigmoid, 3 tanh (ACTIVATIONS in src/architecture.ts)
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<vec4f>;      // (B, IN/4) of vec4
@group(0) @binding(2) var<storage, read> kernel: array<vec4f>; // (IN, UNITS/4) of vec4
@group(0) @binding(3) var<storage, read> bias: array<vec4f>;   // (UNITS/4) of vec4
@group(0) @binding(4) var<storage, read_write> out: array<vec4f>; // (B, UNITS/4) of vec4

override WG: u32 = 64;

// Frames an invocation walks: enough that loading its kernel columns once costs little per frame,
// few enough that a batch still gives both of llvmpipe's threads work (2,048 frames: 16 chunks).
override FRAMES: u32 = 128u;

// As in dense_blocked.wgsl: the pipeline's constant where it was made with one, else the uniform's.
override ACTIVATION: u32 = 4u;

fn activate(v: vec4f, uniform_code: u32) -> vec4f {
  let code = select(uniform_code, ACTIVATION, ACTIVATION < 4u);
  if (code == 1u) { return max(v, vec4f(0.0)); }
  if (code == 2u) { return 1.0 / (1.0 + exp(-v)); }
  if (code == 3u) { return tanh(v); }
  return v;
}

// Kernel row k, unit vec4s u4…u4+3, as a mat4x4f (column = 4 units); zero past IN.
fn row(k: u32, u4: u32, units4: u32) -> mat4x4f {
  let ok = k < params.in_dim;
  let r = select(0u, k, ok) * units4 + u4;
  let m = mat4x4f(kernel[r], kernel[r + 1u], kernel[r + 2u], kernel[r + 3u]);
  return m * select(0.0, 1.0, ok);
}

// Frame f's input vec4 j; zero past IN/4.
fn load_x(f: u32, j: u32, in4: u32) -> vec4f {
  let ok = j < in4;
  return select(vec4f(0.0), x[f * in4 + select(0u, j, ok)], ok);
}

// acc + v.x·w0 + v.y·w1 + v.z·w2 + v.w·w3: input vec4 v into the 16 units.
fn mac(acc: mat4x4f, v: vec4f, w0: mat4x4f, w1: mat4x4f, w2: mat4x4f, w3: mat4x4f) -> mat4x4f {
  return acc + w0 * v.x + w1 * v.y + w2 * v.z + w3 * v.w;
}

// Invocation n (linear over a 2-D grid of workgroups) → units 16·(n mod blocks)…+15 of frames
// FRAMES·(n / blocks)…, blocks = UNITS/16.
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let p = params;
  let n = gid.x + gid.y * groups.x * WG;
  let units4 = p.units / 4u;
  let blocks = units4 / 4u;
  if (n >= blocks * ((p.batch + FRAMES - 1u) / FRAMES)) { return; }
  let u4 = (n % blocks) * 4u;
  let f0 = (n / blocks) * FRAMES;
  let f1 = min(f0 + FRAMES, p.batch);
  let in4 = p.in_dim / 4u;
  let w0 = row(0u, u4, units4);
  let w1 = row(1u, u4, units4);
  let w2 = row(2u, u4, units4);
  let w3 = row(3u, u4, units4);
  let w4 = row(4u, u4, units4);
  let w5 = row(5u, u4, units4);
  let w6 = row(6u, u4, units4);
  let w7 = row(7u, u4, units4);
  let w8 = row(8u, u4, units4);
  let w9 = row(9u, u4, units4);
  let w10 = row(10u, u4, units4);
  let w11 = row(11u, u4, units4);
  let w12 = row(12u, u4, units4);
  let w13 = row(13u, u4, units4);
  let w14 = row(14u, u4, units4);
  let w15 = row(15u, u4, units4);
  let w16 = row(16u, u4, units4);
  let w17 = row(17u, u4, units4);
  let w18 = row(18u, u4, units4);
  let w19 = row(19u, u4, units4);
  let w20 = row(20u, u4, units4);
  let w21 = row(21u, u4, units4);
  let w22 = row(22u, u4, units4);
  let w23 = row(23u, u4, units4);
  let w24 = row(24u, u4, units4);
  let w25 = row(25u, u4, units4);
  let w26 = row(26u, u4, units4);
  let w27 = row(27u, u4, units4);
  let w28 = row(28u, u4, units4);
  let w29 = row(29u, u4, units4);
  let w30 = row(30u, u4, units4);
  let w31 = row(31u, u4, units4);
  let bm = mat4x4f(bias[u4], bias[u4 + 1u], bias[u4 + 2u], bias[u4 + 3u]);
  for (var f = f0; f < f1; f++) {
    // Two sums of four inputs' vec4s each, so that 32 chains of FMAs are in flight.
    var a = mac(bm, load_x(f, 0u, in4), w0, w1, w2, w3);
    var b = mac(mat4x4f(), load_x(f, 1u, in4), w4, w5, w6, w7);
    a = mac(a, load_x(f, 2u, in4), w8, w9, w10, w11);
    b = mac(b, load_x(f, 3u, in4), w12, w13, w14, w15);
    a = mac(a, load_x(f, 4u, in4), w16, w17, w18, w19);
    b = mac(b, load_x(f, 5u, in4), w20, w21, w22, w23);
    a = mac(a, load_x(f, 6u, in4), w24, w25, w26, w27);
    b = mac(b, load_x(f, 7u, in4), w28, w29, w30, w31);
    let s = a + b;
    let o = f * units4 + u4;
    out[o] = activate(s[0], p.activation);
    out[o + 1u] = activate(s[1], p.activation);
    out[o + 2u] = activate(s[2], p.activation);
    out[o + 3u] = activate(s[3], p.activation);
  }
}
