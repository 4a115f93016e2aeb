// The adapter's arithmetic ceiling: eight independent vec4 FMA chains per invocation, no memory
// traffic in the loop, one store at the end so nothing is optimised away. Used by the benchmark
// (src/bench/ceiling.ts, which mirrors Params in packFmaParams()) to say how close the decoder
// kernels come to what the hardware can do at all.
// Version 1: the only version.

struct Params {
  iterations: u32,  // loop trips; each does 8 vec4 FMAs = 64 FLOPs per invocation
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
  var a1 = a0 + 0.1;
  var a2 = a0 + 0.2;
  var a3 = a0 + 0.3;
  var a4 = a0 + 0.4;
  var a5 = a0 + 0.5;
  var a6 = a0 + 0.6;
  var a7 = a0 + 0.7;
  let m = vec4f(0.999);
  let c = vec4f(1e-3);
  for (var k = 0u; k < params.iterations; k++) {
    a0 = fma(a0, m, c);
    a1 = fma(a1, m, c);
    a2 = fma(a2, m, c);
    a3 = fma(a3, m, c);
    a4 = fma(a4, m, c);
    a5 = fma(a5, m, c);
    a6 = fma(a6, m, c);
    a7 = fma(a7, m, c);
  }
  if (i < arrayLength(&out)) {
    out[i] = a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7;
  }
}
