// Transposed convolution with one layer's weights and bias written into the shader as literals,
// bias and activation fused. A template: src/gpu/baked.ts replaces each `//@bake` line with the
// layer's statements (unbaked, the file is valid WGSL that writes nothing). TypeScript twin:
// convTransposeForward() in src/reference.ts; uniform packed by packBakedParams() in
// src/gpu/baked.ts.
//
// Version 5 (after conv_transpose_pairs.wgsl, version 4). On llvmpipe every load whose address is
// not a compile-time constant is a gather, lane by lane, even when all lanes read the same address:
// a weight scalar from a uniform buffer cost about as much as 9 FMAs, and took half the time of
// version 4 (measured by replacing its weight loads with arithmetic: 86 → 41 ms for the 14×14×32 →
// 28×28×16 layer at batch 1024). A literal weight costs nothing to load: it is an operand in the
// code. So each invocation computes one block of output pixels (blockY × blockX phase blocks of
// strideH × strideW pixels) for every output channel, fully unrolled: it loads the input pixels the
// block needs once (each vec4 of 4 input channels is one storage load) and every FMA takes its
// weight from the instruction stream. Only the layer's sizes that address memory stay in Params;
// the channel counts, kernel, padding and activation are in the generated code (llvmpipe runs both
// sides of a branch under a mask, so an activation chosen at run time costs an exp and a tanh
// per store).
//
// Version 6 adds the fold (src/gpu/baked.ts, planFold): where the next layer has stride 1 and a
// few output channels, each block's activated outputs are multiplied by that layer's weights at
// once and the block writes its partial sums of every output they reach (`out` then holds those,
// a region of vec4s a block); overlap_add.wgsl sums them. The next layer's input is never stored
// nor loaded.
//
// Version 7: walking. Each weight is an operand in the code, and llvmpipe runs the whole body
// once per 8 lanes: on x86 a literal costs an address load (movabs), a multiply with the constant
// broadcast from memory and an add, three instructions a FMA. An invocation now walks all blocks
// of a frame in a loop, row by row, so the weights are the same on every trip: LLVM computes each broadcast once
// per invocation, keeps it on the stack, and the loop takes it from there (a multiply with a stack
// operand and an add: two instructions). The input columns a block shares with the next one move
// over instead of being loaded again (at stride 2, half of them). The sums run as fma() into four
// partial sums per output vec4 (one per input channel of a vec4), so that 16 chains are in flight.

struct Params {
  batch: u32,
  in_h: u32,
  in_w: u32,
  in_c4: u32,      // input channels / 4
  out_h: u32,
  out_w: u32,
  out_c: u32,
  blocks_y: u32,   // blocks down a frame
  blocks_x: u32,   // blocks across a frame
  block_h: u32,    // input rows a block advances: blockY
  block_w: u32,    // input columns a block advances: blockX
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<vec4f>;   // (B, inH, inW, inC/4) of vec4
// (B, outH, outW, outC/4) of vec4 when outC is a multiple of 4, else (B, outH, outW, outC) of f32:
// the baker sets Out. Whole vec4s because on llvmpipe a store costs the same for 1 or 4 floats.
alias Out = vec4f; //@bake out-type
@group(0) @binding(2) var<storage, read_write> out: array<Out>;

override WG: u32 = 64;

// Input pixel (b, iy, ix), channels 4·c4…+3; zero outside the image.
fn load_x(b: u32, iy: i32, ix: i32, c4: u32) -> vec4f {
  let p = params;
  let ok = iy >= 0 && iy < i32(p.in_h) && ix >= 0 && ix < i32(p.in_w);
  let i = ((b * p.in_h + u32(select(0, iy, ok))) * p.in_w + u32(select(0, ix, ok))) * p.in_c4 + c4;
  return select(vec4f(0.0), x[i], ok);
}

// Output pixel (b, oy, ox) as a pixel index: times outC/4 (vec4 Out) or outC (f32 Out) for `out`.
fn out_at(b: u32, oy: u32, ox: u32) -> u32 {
  let p = params;
  return (b * p.out_h + oy) * p.out_w + ox;
}

// Invocation n (over a 2-D grid of workgroups) → frame b, its blocks walked row by row, left to
// right (version 7), or one block (by, bx) of a frame (version 6 and before). A block's input origin is
// (iy0, ix0) = (by·blockY, bx·blockX) and its output origin (oy0, ox0) is that times the stride;
// the baked statements address everything relative to these.
@compute @workgroup_size(WG)
fn main(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) groups: vec3u,
  @builtin(local_invocation_index) lid: u32,
) {
  let p = params;
  let n = (wid.x + wid.y * groups.x) * WG + lid;
  //@bake body
}
