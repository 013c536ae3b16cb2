// Compute kernels for bench/interrupt-overhead.ts: realistic, deterministic workloads that each return
// a 32-bit checksum (so nothing is optimised away, and a plain and an instrumented instance can be
// compared). Each export takes a size argument, so the benchmark picks how long a run takes.
// No libc calls: the module imports nothing and keeps its data in static buffers.
#include <stdint.h>

#define EXPORT(name) __attribute__((export_name(name)))

// Numerical Recipes LCG: cheap, deterministic input data.
static uint32_t lcg(uint32_t *state) {
  *state = *state * 1664525u + 1013904223u;
  return *state;
}

// ---------------------------------------------------------------- sha256: `passes` over a 4 MiB buffer

#define SHA_BUFFER (4u << 20)
static uint8_t sha_buffer[SHA_BUFFER];

static const uint32_t K256[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

#define ROTR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void sha256_block(uint32_t h[8], const uint8_t *p) {
  uint32_t w[64];
  for (int i = 0; i < 16; i++)
    w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
  for (int i = 16; i < 64; i++) {
    uint32_t s0 = ROTR(w[i - 15], 7) ^ ROTR(w[i - 15], 18) ^ (w[i - 15] >> 3);
    uint32_t s1 = ROTR(w[i - 2], 17) ^ ROTR(w[i - 2], 19) ^ (w[i - 2] >> 10);
    w[i] = w[i - 16] + s0 + w[i - 7] + s1;
  }
  uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], k = h[7];
  for (int i = 0; i < 64; i++) {
    uint32_t t1 = k + (ROTR(e, 6) ^ ROTR(e, 11) ^ ROTR(e, 25)) + ((e & f) ^ (~e & g)) + K256[i] + w[i];
    uint32_t t2 = (ROTR(a, 2) ^ ROTR(a, 13) ^ ROTR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
    k = g;
    g = f;
    f = e;
    e = d + t1;
    d = c;
    c = b;
    b = a;
    a = t1 + t2;
  }
  h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e, h[5] += f, h[6] += g, h[7] += k;
}

// SHA-256 of `length` bytes (a multiple of 64 here, so the padding is one whole block).
static void sha256(const uint8_t *data, uint32_t length, uint32_t h[8]) {
  static const uint32_t init[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  for (int i = 0; i < 8; i++) h[i] = init[i];
  for (uint32_t at = 0; at < length; at += 64) sha256_block(h, data + at);
  uint8_t pad[64] = {0x80};
  uint64_t bits = (uint64_t)length * 8;
  for (int i = 0; i < 8; i++) pad[63 - i] = (uint8_t)(bits >> (8 * i));
  sha256_block(h, pad);
}

// Hashes the buffer `passes` times, each pass's digest written over the buffer's first 32 bytes.
EXPORT("sha256") uint32_t sha256_kernel(uint32_t passes) {
  uint32_t seed = 1;
  for (uint32_t i = 0; i < SHA_BUFFER; i++) sha_buffer[i] = (uint8_t)(lcg(&seed) >> 24);
  uint32_t h[8] = {0};
  for (uint32_t pass = 0; pass < passes; pass++) {
    sha256(sha_buffer, SHA_BUFFER, h);
    for (int i = 0; i < 8; i++)
      for (int j = 0; j < 4; j++) sha_buffer[4 * i + j] = (uint8_t)(h[i] >> (24 - 8 * j));
  }
  return h[0] ^ h[7];
}

// ---------------------------------------------------------------- sort: quicksort of `count` LCG ints

#define SORT_MAX (4u << 20)
static int32_t sort_buffer[SORT_MAX];

static void insertion_sort(int32_t *a, int32_t n) {
  for (int32_t i = 1; i < n; i++) {
    int32_t v = a[i], j = i - 1;
    while (j >= 0 && a[j] > v) {
      a[j + 1] = a[j];
      j--;
    }
    a[j + 1] = v;
  }
}

static void swap(int32_t *a, int32_t i, int32_t j) {
  int32_t t = a[i];
  a[i] = a[j];
  a[j] = t;
}

// Hoare partition around the median of the first, middle and last elements (sorted into place, the
// median in the middle); recurses into the smaller part and loops on the larger.
static void quicksort(int32_t *a, int32_t n) {
  while (n > 16) {
    int32_t mid = (n - 1) / 2;
    if (a[mid] < a[0]) swap(a, mid, 0);
    if (a[n - 1] < a[0]) swap(a, n - 1, 0);
    if (a[n - 1] < a[mid]) swap(a, n - 1, mid);
    int32_t pivot = a[mid], i = -1, j = n;
    for (;;) {
      do i++;
      while (a[i] < pivot);
      do j--;
      while (a[j] > pivot);
      if (i >= j) break;
      swap(a, i, j);
    }
    int32_t left = j + 1;
    if (left < n - left) {
      quicksort(a, left);
      a += left;
      n -= left;
    } else {
      quicksort(a + left, n - left);
      n = left;
    }
  }
  insertion_sort(a, n);
}

// Returns 0 if the result is not sorted.
EXPORT("sort") uint32_t sort_kernel(uint32_t count) {
  if (count > SORT_MAX) count = SORT_MAX;
  uint32_t seed = 2;
  for (uint32_t i = 0; i < count; i++) sort_buffer[i] = (int32_t)lcg(&seed);
  quicksort(sort_buffer, (int32_t)count);
  uint32_t sum = 0;
  for (uint32_t i = 0; i < count; i++) {
    if (i > 0 && sort_buffer[i - 1] > sort_buffer[i]) return 0;
    sum = sum * 31 + (uint32_t)sort_buffer[i];
  }
  return sum;
}

// ---------------------------------------------------------------- nbody: the benchmarks game's, `steps` steps

#define PI 3.141592653589793
#define SOLAR_MASS (4 * PI * PI)
#define DAYS_PER_YEAR 365.24
#define BODIES 5

struct body {
  double x, y, z, vx, vy, vz, mass;
};

static const struct body initial_bodies[BODIES] = {
    {0, 0, 0, 0, 0, 0, SOLAR_MASS},
    {4.84143144246472090e+00, -1.16032004402742839e+00, -1.03622044471123109e-01,
     1.66007664274403694e-03 * DAYS_PER_YEAR, 7.69901118419740425e-03 * DAYS_PER_YEAR,
     -6.90460016972063023e-05 * DAYS_PER_YEAR, 9.54791938424326609e-04 * SOLAR_MASS},
    {8.34336671824457987e+00, 4.12479856412430479e+00, -4.03523417114321381e-01,
     -2.76742510726862411e-03 * DAYS_PER_YEAR, 4.99852801234917238e-03 * DAYS_PER_YEAR,
     2.30417297573763929e-05 * DAYS_PER_YEAR, 2.85885980666130812e-04 * SOLAR_MASS},
    {1.28943695621391310e+01, -1.51111514016986312e+01, -2.23307578892655734e-01,
     2.96460137564761618e-03 * DAYS_PER_YEAR, 2.37847173959480950e-03 * DAYS_PER_YEAR,
     -2.96589568540237556e-05 * DAYS_PER_YEAR, 4.36624404335156298e-05 * SOLAR_MASS},
    {1.53796971148509165e+01, -2.59193146099879641e+01, 1.79258772950371181e-01,
     2.68067772490389322e-03 * DAYS_PER_YEAR, 1.62824170038242295e-03 * DAYS_PER_YEAR,
     -9.51592254519715870e-05 * DAYS_PER_YEAR, 5.15138902046611451e-05 * SOLAR_MASS},
};

static struct body bodies[BODIES];

static void advance(double dt) {
  for (int i = 0; i < BODIES; i++) {
    struct body *a = &bodies[i];
    for (int j = i + 1; j < BODIES; j++) {
      struct body *b = &bodies[j];
      double dx = a->x - b->x, dy = a->y - b->y, dz = a->z - b->z;
      double d2 = dx * dx + dy * dy + dz * dz;
      double mag = dt / (d2 * __builtin_sqrt(d2));
      a->vx -= dx * b->mass * mag, a->vy -= dy * b->mass * mag, a->vz -= dz * b->mass * mag;
      b->vx += dx * a->mass * mag, b->vy += dy * a->mass * mag, b->vz += dz * a->mass * mag;
    }
  }
  for (int i = 0; i < BODIES; i++) {
    struct body *a = &bodies[i];
    a->x += dt * a->vx, a->y += dt * a->vy, a->z += dt * a->vz;
  }
}

static double energy(void) {
  double e = 0;
  for (int i = 0; i < BODIES; i++) {
    struct body *a = &bodies[i];
    e += 0.5 * a->mass * (a->vx * a->vx + a->vy * a->vy + a->vz * a->vz);
    for (int j = i + 1; j < BODIES; j++) {
      struct body *b = &bodies[j];
      double dx = a->x - b->x, dy = a->y - b->y, dz = a->z - b->z;
      e -= a->mass * b->mass / __builtin_sqrt(dx * dx + dy * dy + dz * dz);
    }
  }
  return e;
}

// The energy after `steps` steps, in units of 1e-9 (the benchmarks game prints it to 9 places).
EXPORT("nbody") uint32_t nbody_kernel(uint32_t steps) {
  for (int i = 0; i < BODIES; i++) bodies[i] = initial_bodies[i];
  double px = 0, py = 0, pz = 0;
  for (int i = 0; i < BODIES; i++)
    px += bodies[i].vx * bodies[i].mass, py += bodies[i].vy * bodies[i].mass,
        pz += bodies[i].vz * bodies[i].mass;
  bodies[0].vx = -px / SOLAR_MASS, bodies[0].vy = -py / SOLAR_MASS, bodies[0].vz = -pz / SOLAR_MASS;
  for (uint32_t s = 0; s < steps; s++) advance(0.01);
  return (uint32_t)(int32_t)(energy() * 1e9);
}

// ---------------------------------------------------------------- mandelbrot: `size`x`size` pixels, 50 iterations

// Counts the points in the set over [-1.5, 0.5] x [-1, 1], and hashes which ones they are.
EXPORT("mandelbrot") uint32_t mandelbrot_kernel(uint32_t size) {
  uint32_t inside = 0, hash = 0;
  for (uint32_t y = 0; y < size; y++) {
    double ci = 2.0 * y / size - 1.0;
    for (uint32_t x = 0; x < size; x++) {
      double cr = 2.0 * x / size - 1.5, zr = 0, zi = 0, tr = 0, ti = 0;
      int i = 0;
      while (i < 50 && tr + ti <= 4.0) {
        zi = 2.0 * zr * zi + ci;
        zr = tr - ti + cr;
        tr = zr * zr;
        ti = zi * zi;
        i++;
      }
      if (tr + ti <= 4.0) inside++, hash = hash * 31 + y * size + x;
    }
  }
  return inside ^ hash;
}

// ---------------------------------------------------------------- json: tokenise a generated JSON-like text

#define JSON_MAX (8u << 20)
static char json_text[JSON_MAX];

// A document of records like {"id":123,"name":"k5qz","tags":["a","bc"],"score":-4.25,"ok":true},
// inside one array, until `length` bytes are used. Returns the length written.
static uint32_t generate_json(uint32_t length) {
  static const char letters[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  uint32_t seed = 3, at = 0;
#define PUT(c) (json_text[at++] = (c))
#define PUTS(s)                                               \
  do {                                                        \
    for (const char *p_ = (s); *p_; p_++) json_text[at++] = *p_; \
  } while (0)
  PUT('[');
  while (at + 200 < length) {
    if (at > 1) PUT(',');
    PUTS("{\"id\":");
    for (uint32_t v = lcg(&seed) >> 20, d = 1000; d > 0; d /= 10) PUT((char)('0' + v / d % 10));
    PUTS(",\"name\":\"");
    for (uint32_t n = 3 + (lcg(&seed) >> 29); n > 0; n--) PUT(letters[(lcg(&seed) >> 16) % 36]);
    PUTS("\",\"tags\":[");
    for (uint32_t n = lcg(&seed) >> 30; n > 0; n--) {
      PUTS("\"t");
      PUT(letters[(lcg(&seed) >> 16) % 36]);
      PUT('"');
      if (n > 1) PUT(',');
    }
    PUTS("],\"score\":");
    if (lcg(&seed) >> 31) PUT('-');
    PUT((char)('0' + (lcg(&seed) >> 16) % 10));
    PUT('.');
    PUT((char)('0' + (lcg(&seed) >> 16) % 10));
    PUT((char)('0' + (lcg(&seed) >> 16) % 10));
    PUTS(lcg(&seed) >> 31 ? ",\"ok\":true}\n" : ",\"ok\":false,\"note\":\"esc\\\"aped \\\\ text\"}\n");
  }
  PUT(']');
#undef PUT
#undef PUTS
  return at;
}

// Tokenises the text `passes` times: counts tokens by kind, parses numbers, hashes strings and
// tracks nesting. Returns 0 on a syntax error.
EXPORT("json") uint32_t json_kernel(uint32_t passes) {
  uint32_t length = generate_json(JSON_MAX);
  uint32_t hash = 0;
  for (uint32_t pass = 0; pass < passes; pass++) {
    uint32_t strings = 0, numbers = 0, literals = 0, depth = 0, max_depth = 0;
    int64_t number_sum = 0;
    const char *p = json_text, *end = json_text + length;
    while (p < end) {
      char c = *p++;
      switch (c) {
        case ' ':
        case '\n':
        case '\t':
        case '\r':
        case ',':
        case ':':
          break;
        case '[':
        case '{':
          if (++depth > max_depth) max_depth = depth;
          break;
        case ']':
        case '}':
          if (depth-- == 0) return 0;
          break;
        case '"': {
          uint32_t h = 2166136261u;
          while (p < end && *p != '"') {
            if (*p == '\\') p++;
            h = (h ^ (uint8_t)*p++) * 16777619u;
          }
          if (p++ >= end) return 0;
          strings++;
          hash ^= h;
          break;
        }
        case 't':
        case 'f':
        case 'n':
          literals++;
          while (p < end && *p >= 'a' && *p <= 'z') p++;
          break;
        default: {
          if (c != '-' && (c < '0' || c > '9')) return 0;
          int negative = c == '-';
          int64_t v = negative ? 0 : c - '0';
          while (p < end && ((*p >= '0' && *p <= '9') || *p == '.')) {
            if (*p != '.') v = v * 10 + (*p - '0');
            p++;
          }
          number_sum += negative ? -v : v;
          numbers++;
        }
      }
    }
    if (depth != 0) return 0;
    hash = hash * 31 + strings;
    hash = hash * 31 + numbers;
    hash = hash * 31 + literals;
    hash = hash * 31 + max_depth;
    hash = hash * 31 + (uint32_t)number_sum;
  }
  return hash;
}

// ---------------------------------------------------------------- interp: a stack bytecode interpreter

enum { PUSH, LOAD, STORE, ADD, SUB, MUL, MOD, LT, JUMP_IF_ZERO, JUMP, HALT };

// The program: for (i = 0; i < n; i++) { x = (x * 31 + i) % 1000003; if (x % 7 < 3) y += x; else y -= i; }
// return x + y. Locals: 0 = n, 1 = i, 2 = x, 3 = y. Comments give each line's first offset.
static const int32_t program[] = {
    PUSH, 0, STORE, 1,                                                   // 0: i = 0
    LOAD, 1, LOAD, 0, LT, JUMP_IF_ZERO, 59,                              // 4: while i < n
    LOAD, 2, PUSH, 31, MUL, LOAD, 1, ADD, PUSH, 1000003, MOD, STORE, 2,  // 11: x = (x*31 + i) % 1000003
    LOAD, 2, PUSH, 7, MOD, PUSH, 3, LT, JUMP_IF_ZERO, 43,                // 24: if x % 7 < 3
    LOAD, 3, LOAD, 2, ADD, STORE, 3, JUMP, 50,                           // 34:   y = y + x
    LOAD, 3, LOAD, 1, SUB, STORE, 3,                                     // 43: else y = y - i
    LOAD, 1, PUSH, 1, ADD, STORE, 1, JUMP, 4,                            // 50: i = i + 1
    LOAD, 2, LOAD, 3, ADD, HALT,                                         // 59: return x + y
};

static int32_t run(const int32_t *code, int32_t *locals) {
  int32_t stack[16];
  int32_t sp = 0, pc = 0;
  for (;;) {
    switch (code[pc++]) {
      case PUSH:
        stack[sp++] = code[pc++];
        break;
      case LOAD:
        stack[sp++] = locals[code[pc++]];
        break;
      case STORE:
        locals[code[pc++]] = stack[--sp];
        break;
      case ADD:  // wrapping, as the unsigned operations: signed overflow would be undefined
        sp--, stack[sp - 1] = (int32_t)((uint32_t)stack[sp - 1] + (uint32_t)stack[sp]);
        break;
      case SUB:
        sp--, stack[sp - 1] = (int32_t)((uint32_t)stack[sp - 1] - (uint32_t)stack[sp]);
        break;
      case MUL:
        sp--, stack[sp - 1] = (int32_t)((uint32_t)stack[sp - 1] * (uint32_t)stack[sp]);
        break;
      case MOD:
        sp--, stack[sp - 1] %= stack[sp];
        break;
      case LT:
        sp--, stack[sp - 1] = stack[sp - 1] < stack[sp];
        break;
      case JUMP_IF_ZERO:
        pc = stack[--sp] == 0 ? code[pc] : pc + 1;
        break;
      case JUMP:
        pc = code[pc];
        break;
      case HALT:
        return stack[sp - 1];
      default:
        return -1;
    }
  }
}

EXPORT("interp") uint32_t interp_kernel(uint32_t n) {
  int32_t locals[4] = {(int32_t)n, 0, 1, 0};
  return (uint32_t)run(program, locals);
}

// ---------------------------------------------------------------- fib: naive recursion, the worst case

__attribute__((noinline)) static uint32_t fib(uint32_t n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

EXPORT("fib") uint32_t fib_kernel(uint32_t n) { return fib(n); }
