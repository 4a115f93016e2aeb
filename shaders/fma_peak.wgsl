// The adapter's arithmetic ceiling: sixteen independent vec4 FMA chains per invocation, four FMAs
// each per loop trip, no memory traffic in the loop, one store at the end so nothing is optimised
// away. Used by the benchmark (src/bench/ceiling.ts, which mirrors Params in packFmaParams()) to
// say how close the decoder kernels come to what the hardware can do at all.
// Version 2. Version 1 ran eight chains one FMA a trip, and on llvmpipe the loop's own overhead
// (its exec-mask bookkeeping) then capped it at 50–80 GFLOP/s on this project's 2-core machine,
// below what a decoder kernel reached on its FMAs alone; unrolled, the same machine gives 110–130.

struct Params {
  iterations: u32,  // loop trips; each does 64 vec4 FMAs = 512 FLOPs per invocation
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> out: array<vec4f>; // (invocations)

override WG: u32 = 64;

// Invocation i (over a 2-D grid of workgroups) writes out[i].
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + gid.y * groups.x * WG;
  let seed = f32(i & 255u) * 1e-3;
  var a0 = vec4f(seed);
  var a1 = a0 + 0.05;
  var a2 = a0 + 0.10;
  var a3 = a0 + 0.15;
  var a4 = a0 + 0.20;
  var a5 = a0 + 0.25;
  var a6 = a0 + 0.30;
  var a7 = a0 + 0.35;
  var a8 = a0 + 0.40;
  var a9 = a0 + 0.45;
  var a10 = a0 + 0.50;
  var a11 = a0 + 0.55;
  var a12 = a0 + 0.60;
  var a13 = a0 + 0.65;
  var a14 = a0 + 0.70;
  var a15 = a0 + 0.75;
  let m = vec4f(0.999);
  let c = vec4f(1e-3);
  for (var k = 0u; k < params.iterations; k++) {
    for (var r = 0u; r < 4u; r++) {
      a0 = fma(a0, m, c);
      a1 = fma(a1, m, c);
      a2 = fma(a2, m, c);
      a3 = fma(a3, m, c);
      a4 = fma(a4, m, c);
      a5 = fma(a5, m, c);
      a6 = fma(a6, m, c);
      a7 = fma(a7, m, c);
      a8 = fma(a8, m, c);
      a9 = fma(a9, m, c);
      a10 = fma(a10, m, c);
      a11 = fma(a11, m, c);
      a12 = fma(a12, m, c);
      a13 = fma(a13, m, c);
      a14 = fma(a14, m, c);
      a15 = fma(a15, m, c);
    }
  }
  if (i < arrayLength(&out)) {
    out[i] = a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11 + a12 + a13 + a14 + a15;
  }
}
