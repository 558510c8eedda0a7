/* gen.c - the synthetic data generator: eight realistic input tables, fast and reproducible.
 *
 * Output is a pure function of (n_cases, seed, dirty_rate): the same bytes whatever the
 * thread count, and on every machine, because every random choice is integer arithmetic
 * on xoshiro256** (no libm, no floating point after the options are read).
 *
 * Blocks and random streams
 *   Cases are cut into fixed blocks of CASE_BLOCK ids (block b holds ids b*CASE_BLOCK+1..),
 *   dimension tables into blocks of DIM_BLOCK rows. Each block draws from its own
 *   xoshiro256** generator, seeded by splitmix64 from (seed, stream, block index); streams are
 *   customers, agents, products, cases (a case, then its timeline, then its refunds) and
 *   dirt (every injected problem). Drawing dirt from its own stream keeps the clean values
 *   identical whatever dirty_rate is. Blocks are processed in waves of one block per
 *   thread:
 *     phase A (parallel)   generate each block's case, event and refund records;
 *     (sequential)         number events and refunds: a prefix sum over the blocks gives
 *                          each block its first event_id and refund_id (1..M in file order);
 *     phase B (parallel)   format each block into its own text buffers, no printf;
 *     (sequential)         write the buffers in block order (to temporary names, renamed
 *                          into place together at the end).
 *   Parallel regions only compute: buffers are sized between the phases, and a block whose
 *   event or refund array fills up (possible only with heavy dirt) is regrown and
 *   regenerated sequentially, which gives the same records.
 *
 * Distributions (from the statistics of the real sample; weights in percent)
 *   calendar    731 days 2024-01-01..2025-12-31, date_id 1..731, ISO weeks.
 *   customers   max(1, n/4): country Germany 21.5, Netherlands 19.5, Belgium 13.7,
 *               Austria 9.8, Italy 9.8, Switzerland 7.8, Spain 7.8, Kosovo 7.8 and four
 *               rare ones; region North/South/East/West/Central equal; segment Standard 58
 *               (x1.0), Returning 37 (x1.1), VIP 5 (x1.25); signup_year 2021..2025 rising
 *               (12 / 18 / 22 / 26 / 22).
 *   agents      max(20, n/500): team Ops Core 37, Quality 23, Billing 15, Logistics 13,
 *               Escalations 12; shift Morning 59, Evening 32, Night 9; tenure 1..120 months;
 *               speed_factor 0.80..1.20.
 *   products    max(50, n/240): group Home, Electronics, Other, Fresh Food, Beauty, Kids
 *               (55:52:44:41:30:28); base price 5.00..200.00; risk_score uniform in [0,1)
 *               with 16 decimals.
 *   issues      the ten fixed catalog rows.
 *   cases       date, customer (about 4 cases each, Poisson-like, as in the sample), agent,
 *               product and issue uniform; channel Chat 42, Email 38, Phone 12, App 8;
 *               priority by issue (3, 4, 6 always High; 1, 2, 5, 7 Medium, 7..17% High;
 *               8, 9, 10 Low, ~5% High): High 37, Medium 35, Low 28 in all, so root causes
 *               and the severity x priority map differ as in the sample. Flag rates by
 *               priority (Low / Medium / High):
 *               escalated 0 / 0 / 14.9, reopened 3 / 5.7 / 6.9, delayed 9.5 / 25 / 23.5,
 *               cancelled 0 / 0 / 16.2, refund 3.2 / 10 / 10.7. delay_minutes 0 unless
 *               delayed, else a log-normal (median 36, sigma 0.85) cut to 1..300 (mean ~49);
 *               resolution_minutes log-normal (sigma 0.75, medians 60 / 79 / 97) cut to
 *               3..700. status Closed 86 / Open 7 / Escalated 7, independent of the flag
 *               (as in the sample).
 *   timeline    columns event_id, case_id, event_timestamp, event_type, actor_type,
 *               channel (the sample's; the last two are ignored by the engine). created;
 *               assigned (97%) 0.5..30 min later; 0..8 agent replies interleaved with 0..8
 *               customer replies (Poisson, means 1.59 and 1.56), spread over the resolution
 *               time, with escalated after the first agent reply when flagged; resolved
 *               (95% of Closed cases, 63.5% of the others, 91% overall) at created +
 *               resolution; reopened 1..72 h later when flagged; closed (Closed cases)
 *               1 min..24 h after the last event. ~7.0 events per case (1..22); timestamps
 *               strictly increase and start at a business-hours-weighted time on the
 *               case's date. Actors: customer (created, customer replies, reopened),
 *               agent (replies, escalated, resolved), system (assigned, closed; channel
 *               "System"); the others' channel is the case's.
 *   refunds     one per case with has_refund (~8.4% of cases), a second one for 5% of
 *               those; Partial 59 / Full 41; amount log-normal (median 18, sigma 0.9) cut to
 *               1.00..130.00.
 *   Log-normal draws read a 257-point quantile table of the truncated distribution
 *   (computed offline with Python's statistics.NormalDist) with linear interpolation.
 *   Decimals print like Python floats (86.1, 9.29, 1.0), as the real sample does.
 *
 * Dirt (dirty_rate > 0): each case, timeline and refund row independently gets, with
 * probability dirty_rate, one problem drawn uniformly from its table's list (the enums
 * case_dirt, ev_dirt and rf_dirt below): malformed rows (a field missing or extra),
 * bad ids ("12abc", NULL; also the valid " 12 " and "12.0"), exact and different-content
 * duplicates, orphan foreign keys, odd priorities (urgent, " high ", NULL, HIGH, med),
 * negative minutes, flag 2, extra BIGINT cases (id 2^53 + 1 + 2 * case_id, an odd number a
 * double cannot hold; with their own events and refunds), non-ASCII channels, quoted
 * channels (comma, doubled quotes, embedded newline), NULL fields, bad or NULL timestamps
 * and amounts, comma decimals. Orphan events and refunds are extra rows for case ids in
 * n_cases+1..n_cases+1000003, which never exist. Duplicate rows do not take a new id.
 *
 * Memory: per thread one slot of record arrays and text buffers (~40 MiB), all allocated
 * outside parallel regions and freed before return.
 */
#define _POSIX_C_SOURCE 200809L

#include "ofi/gen.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ofi/date.h"
#include "ofi/outbuf.h"
#include "ofi/outset.h"

#define CASE_BLOCK 32768u /* cases per block: fixed, the output depends on it */
#define DIM_BLOCK 65536u  /* dimension rows per block: fixed, likewise */
#define N_DAYS 731u       /* calendar days, 2024-01-01..2025-12-31 */
#define N_TS_DAYS 1024u   /* days with a precomputed date string for timestamps */
#define N_ISSUES 10u

/* Longest line each formatter can write (ids up to 20 digits, dirt included). */
#define CASE_LINE_MAX 256u
#define EV_LINE_MAX 128u
#define RF_LINE_MAX 96u
#define DIM_LINE_MAX 128u

/* Initial event and refund capacity of a slot: ~9 events per case and one refund per 4
 * cases hold a block with room to spare (7 and 0.09 expected). Overridable at compile
 * time so that a test can force the regrow path, which must not change the output. */
#ifndef EV_CAP_PER_CASE
#define EV_CAP_PER_CASE 9u
#endif
#ifndef RF_CAP_DIVISOR
#define RF_CAP_DIVISOR 4u
#endif

/* ---------------------------------------------------------------- random numbers */

typedef struct rng {
    uint64_t s[4];
} rng;

enum { STREAM_CUSTOMERS = 1, STREAM_AGENTS, STREAM_PRODUCTS, STREAM_CASES, STREAM_DIRT };

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* Seed a block's generator: distinct (seed, stream, block) give unrelated sequences. */
static void rng_seed(rng *r, uint64_t seed, uint64_t stream, uint64_t block)
{
    uint64_t x = seed;
    x = splitmix64(&x) ^ (stream * 0xD1B54A32D192ED03ULL);
    x = splitmix64(&x) ^ block;
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);
}

static inline uint64_t rotl64(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

/* xoshiro256** (Blackman and Vigna). */
static inline uint64_t rng_next(rng *r)
{
    uint64_t *s = r->s;
    const uint64_t result = rotl64(s[1] * 5, 7) * 9;
    const uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl64(s[3], 45);
    return result;
}

__extension__ typedef unsigned __int128 u128;

/* Uniform in [0, n) by multiply-shift (Lemire); the bias, below n / 2^64, is irrelevant. */
static inline uint64_t rng_below(rng *r, uint64_t n)
{
    return (uint64_t)(((u128)rng_next(r) * n) >> 64);
}

/* A probability as a threshold on 32-bit draws; pct is a compile-time percentage. */
#define P32(pct) ((uint64_t)((pct) * 42949672.96))

static inline int rng_chance(rng *r, uint64_t p32)
{
    return (rng_next(r) >> 32) < p32;
}

/* Index drawn with the given integer weights. */
static unsigned rng_pick(rng *r, const uint16_t *w, unsigned n)
{
    unsigned total = 0;
    for (unsigned i = 0; i < n; i++)
        total += w[i];
    uint64_t x = rng_below(r, total);
    unsigned i = 0;
    while (x >= w[i]) {
        x -= w[i];
        i++;
    }
    return i;
}
#define PICK(r, w) rng_pick((r), (w), (unsigned)(sizeof(w) / sizeof((w)[0])))

/* A draw from a 257-point quantile table: the top 8 bits pick the interval, the next 32
 * interpolate linearly inside it. */
static inline uint32_t rng_quantile(rng *r, const uint32_t *q)
{
    const uint64_t u = rng_next(r);
    const unsigned i = (unsigned)(u >> 56);
    const uint64_t f = (u >> 24) & 0xFFFFFFFFu;
    return q[i] + (uint32_t)(((uint64_t)(q[i + 1] - q[i]) * f) >> 32);
}

/* Quantile tables of truncated log-normals, generated by:
 *   F = lambda x: NormalDist().cdf((log(x) - log(median)) / sigma)
 *   q[i] = round(scale * (lo if i == 0 else hi if i == 256 else
 *          exp(log(median) + sigma * inv_cdf(F(lo) + (F(hi) - F(lo)) * i / 256))))
 * Minutes are in hundredths (rounded on use), refunds in cents. */
/* resolution, Low: median 60, sigma 0.75, 3..700 minutes */
static const uint32_t Q_RES_LOW[257] = {
    300, 818, 980, 1097, 1193, 1277, 1352, 1420, 1484, 1544, 1601, 1655,
    1707, 1757, 1806, 1853, 1899, 1943, 1987, 2030, 2072, 2113, 2153, 2193,
    2233, 2271, 2310, 2348, 2385, 2422, 2459, 2495, 2532, 2568, 2603, 2639,
    2674, 2709, 2743, 2778, 2813, 2847, 2881, 2915, 2949, 2983, 3017, 3050,
    3084, 3117, 3151, 3184, 3218, 3251, 3284, 3318, 3351, 3384, 3417, 3451,
    3484, 3517, 3550, 3584, 3617, 3650, 3684, 3717, 3751, 3784, 3818, 3851,
    3885, 3919, 3953, 3987, 4021, 4055, 4089, 4123, 4157, 4192, 4226, 4261,
    4296, 4331, 4366, 4401, 4436, 4471, 4507, 4542, 4578, 4614, 4650, 4687,
    4723, 4759, 4796, 4833, 4870, 4907, 4945, 4982, 5020, 5058, 5096, 5135,
    5173, 5212, 5251, 5291, 5330, 5370, 5410, 5450, 5490, 5531, 5572, 5613,
    5655, 5697, 5739, 5781, 5824, 5867, 5910, 5953, 5997, 6041, 6086, 6131,
    6176, 6221, 6267, 6314, 6360, 6407, 6455, 6502, 6551, 6599, 6648, 6698,
    6748, 6798, 6849, 6900, 6952, 7004, 7057, 7110, 7164, 7218, 7273, 7329,
    7385, 7441, 7499, 7556, 7615, 7674, 7734, 7794, 7855, 7917, 7980, 8043,
    8107, 8172, 8238, 8304, 8372, 8440, 8509, 8579, 8650, 8722, 8795, 8869,
    8944, 9021, 9098, 9176, 9256, 9337, 9419, 9503, 9588, 9674, 9762, 9851,
    9941, 10034, 10128, 10223, 10321, 10420, 10522, 10625, 10730, 10837, 10947, 11059,
    11174, 11290, 11410, 11532, 11657, 11786, 11917, 12051, 12190, 12331, 12477, 12626,
    12780, 12938, 13101, 13269, 13442, 13621, 13806, 13997, 14195, 14400, 14612, 14834,
    15064, 15304, 15554, 15815, 16089, 16376, 16679, 16997, 17333, 17690, 18068, 18472,
    18904, 19368, 19869, 20413, 21008, 21662, 22389, 23203, 24129, 25197, 26455, 27976,
    29886, 32424, 36132, 42724, 70000,
};

/* resolution, Medium: median 79, sigma 0.75, 3..700 minutes */
static const uint32_t Q_RES_MED[257] = {
    300, 1074, 1288, 1443, 1570, 1680, 1779, 1869, 1953, 2032, 2107, 2178,
    2246, 2312, 2376, 2438, 2498, 2557, 2615, 2671, 2726, 2780, 2833, 2886,
    2938, 2989, 3039, 3089, 3138, 3187, 3236, 3284, 3331, 3378, 3425, 3472,
    3518, 3564, 3610, 3655, 3701, 3746, 3791, 3836, 3880, 3925, 3969, 4013,
    4058, 4102, 4146, 4190, 4233, 4277, 4321, 4365, 4409, 4452, 4496, 4540,
    4583, 4627, 4671, 4715, 4759, 4802, 4846, 4890, 4934, 4978, 5022, 5067,
    5111, 5155, 5200, 5244, 5289, 5334, 5379, 5424, 5469, 5514, 5560, 5605,
    5651, 5697, 5743, 5789, 5835, 5882, 5928, 5975, 6022, 6070, 6117, 6165,
    6212, 6260, 6309, 6357, 6406, 6455, 6504, 6553, 6603, 6653, 6703, 6754,
    6804, 6855, 6907, 6958, 7010, 7062, 7115, 7168, 7221, 7274, 7328, 7382,
    7437, 7492, 7547, 7603, 7659, 7715, 7772, 7829, 7887, 7945, 8003, 8062,
    8121, 8181, 8241, 8302, 8363, 8425, 8487, 8550, 8613, 8677, 8742, 8807,
    8872, 8938, 9005, 9072, 9140, 9209, 9278, 9348, 9419, 9490, 9562, 9635,
    9708, 9783, 9858, 9934, 10010, 10088, 10166, 10245, 10326, 10407, 10489, 10572,
    10656, 10741, 10827, 10915, 11003, 11092, 11183, 11275, 11368, 11462, 11558, 11655,
    11754, 11853, 11955, 12058, 12162, 12268, 12376, 12485, 12596, 12709, 12824, 12941,
    13060, 13181, 13304, 13429, 13556, 13686, 13819, 13954, 14092, 14232, 14376, 14522,
    14672, 14825, 14981, 15141, 15304, 15472, 15643, 15819, 15999, 16184, 16374, 16569,
    16770, 16976, 17189, 17408, 17633, 17866, 18107, 18356, 18613, 18880, 19157, 19444,
    19743, 20055, 20380, 20719, 21074, 21447, 21838, 22250, 22685, 23145, 23633, 24154,
    24710, 25306, 25949, 26646, 27406, 28240, 29164, 30196, 31362, 32701, 34266, 36141,
    38463, 41482, 45729, 52663, 70000,
};

/* resolution, High: median 97, sigma 0.75, 3..700 minutes */
static const uint32_t Q_RES_HIGH[257] = {
    300, 1318, 1581, 1771, 1926, 2061, 2182, 2293, 2396, 2493, 2584, 2672,
    2756, 2837, 2915, 2991, 3065, 3137, 3207, 3276, 3344, 3410, 3476, 3540,
    3603, 3666, 3728, 3789, 3849, 3909, 3968, 4027, 4086, 4143, 4201, 4258,
    4315, 4371, 4427, 4483, 4538, 4594, 4649, 4704, 4758, 4813, 4867, 4922,
    4976, 5030, 5084, 5137, 5191, 5245, 5299, 5352, 5406, 5459, 5513, 5566,
    5620, 5674, 5727, 5781, 5834, 5888, 5942, 5996, 6050, 6104, 6158, 6212,
    6266, 6320, 6375, 6429, 6484, 6539, 6594, 6649, 6704, 6760, 6815, 6871,
    6927, 6983, 7040, 7096, 7153, 7210, 7267, 7324, 7382, 7439, 7497, 7556,
    7614, 7673, 7732, 7791, 7851, 7911, 7971, 8032, 8092, 8153, 8215, 8277,
    8339, 8401, 8464, 8527, 8590, 8654, 8718, 8783, 8848, 8913, 8979, 9045,
    9112, 9179, 9247, 9315, 9383, 9452, 9521, 9591, 9662, 9733, 9804, 9876,
    9949, 10022, 10095, 10170, 10244, 10320, 10396, 10472, 10550, 10628, 10706, 10786,
    10866, 10946, 11028, 11110, 11193, 11277, 11361, 11447, 11533, 11620, 11708, 11797,
    11886, 11977, 12069, 12161, 12255, 12349, 12445, 12542, 12640, 12738, 12839, 12940,
    13042, 13146, 13251, 13357, 13465, 13574, 13685, 13796, 13910, 14025, 14141, 14259,
    14379, 14501, 14624, 14749, 14876, 15005, 15136, 15269, 15404, 15542, 15681, 15823,
    15968, 16115, 16264, 16416, 16571, 16729, 16890, 17054, 17221, 17391, 17565, 17743,
    17924, 18110, 18299, 18493, 18691, 18893, 19101, 19314, 19532, 19755, 19985, 20220,
    20462, 20712, 20968, 21232, 21504, 21784, 22074, 22373, 22683, 23004, 23336, 23681,
    24040, 24413, 24801, 25207, 25631, 26075, 26541, 27031, 27548, 28094, 28672, 29286,
    29941, 30643, 31397, 32211, 33095, 34062, 35126, 36308, 37635, 39143, 40885, 42939,
    45427, 48560, 52738, 58885, 70000,
};

/* delay: median 36, sigma 0.85, 1..300 minutes */
static const uint32_t Q_DELAY[257] = {
    100, 375, 460, 524, 576, 622, 663, 702, 737, 771, 803, 834,
    864, 893, 921, 948, 975, 1001, 1026, 1051, 1076, 1100, 1124, 1147,
    1171, 1194, 1217, 1239, 1262, 1284, 1306, 1328, 1350, 1371, 1393, 1414,
    1436, 1457, 1478, 1499, 1520, 1541, 1562, 1583, 1604, 1625, 1646, 1667,
    1687, 1708, 1729, 1750, 1770, 1791, 1812, 1833, 1853, 1874, 1895, 1916,
    1937, 1958, 1979, 2000, 2021, 2042, 2063, 2084, 2105, 2127, 2148, 2169,
    2191, 2212, 2234, 2255, 2277, 2299, 2321, 2343, 2365, 2387, 2409, 2432,
    2454, 2477, 2499, 2522, 2545, 2568, 2591, 2614, 2637, 2660, 2684, 2708,
    2731, 2755, 2779, 2803, 2828, 2852, 2877, 2901, 2926, 2951, 2976, 3002,
    3027, 3053, 3079, 3105, 3131, 3157, 3184, 3210, 3237, 3264, 3292, 3319,
    3347, 3375, 3403, 3431, 3460, 3488, 3517, 3546, 3576, 3606, 3636, 3666,
    3696, 3727, 3758, 3789, 3821, 3853, 3885, 3917, 3950, 3983, 4016, 4050,
    4084, 4118, 4153, 4188, 4223, 4259, 4295, 4331, 4368, 4406, 4443, 4481,
    4520, 4559, 4598, 4638, 4678, 4719, 4761, 4802, 4845, 4888, 4931, 4975,
    5019, 5065, 5110, 5157, 5203, 5251, 5299, 5348, 5398, 5448, 5499, 5551,
    5604, 5657, 5712, 5767, 5823, 5880, 5938, 5997, 6057, 6118, 6180, 6243,
    6307, 6372, 6439, 6507, 6576, 6647, 6719, 6792, 6867, 6944, 7022, 7102,
    7184, 7268, 7353, 7441, 7531, 7622, 7717, 7813, 7913, 8014, 8119, 8227,
    8337, 8451, 8569, 8690, 8815, 8944, 9077, 9216, 9359, 9507, 9661, 9821,
    9987, 10160, 10341, 10530, 10728, 10935, 11153, 11383, 11625, 11881, 12152, 12441,
    12749, 13080, 13435, 13819, 14236, 14692, 15194, 15751, 16375, 17083, 17898, 18852,
    19997, 21418, 23265, 25851, 30000,
};

/* refund amount: median 18, sigma 0.9, 1..130 euros */
static const uint32_t Q_REFUND[257] = {
    100, 172, 209, 237, 262, 283, 302, 321, 338, 354, 369, 384,
    398, 412, 426, 439, 452, 464, 477, 489, 501, 513, 525, 536,
    548, 559, 570, 581, 592, 603, 614, 625, 636, 647, 657, 668,
    679, 689, 700, 710, 721, 731, 742, 752, 763, 773, 784, 794,
    804, 815, 825, 836, 846, 857, 867, 878, 888, 898, 909, 920,
    930, 941, 951, 962, 973, 983, 994, 1005, 1016, 1026, 1037, 1048,
    1059, 1070, 1081, 1092, 1103, 1114, 1125, 1137, 1148, 1159, 1171, 1182,
    1193, 1205, 1217, 1228, 1240, 1252, 1263, 1275, 1287, 1299, 1311, 1324,
    1336, 1348, 1360, 1373, 1385, 1398, 1411, 1423, 1436, 1449, 1462, 1475,
    1488, 1502, 1515, 1528, 1542, 1556, 1569, 1583, 1597, 1611, 1625, 1640,
    1654, 1668, 1683, 1698, 1713, 1727, 1743, 1758, 1773, 1789, 1804, 1820,
    1836, 1852, 1868, 1884, 1901, 1917, 1934, 1951, 1968, 1985, 2003, 2020,
    2038, 2056, 2074, 2093, 2111, 2130, 2149, 2168, 2187, 2207, 2227, 2247,
    2267, 2287, 2308, 2329, 2350, 2371, 2393, 2415, 2437, 2460, 2483, 2506,
    2529, 2553, 2577, 2602, 2626, 2651, 2677, 2703, 2729, 2755, 2782, 2810,
    2837, 2866, 2894, 2923, 2953, 2983, 3014, 3045, 3076, 3109, 3141, 3175,
    3209, 3243, 3278, 3314, 3351, 3388, 3426, 3465, 3505, 3545, 3586, 3629,
    3672, 3716, 3761, 3807, 3854, 3903, 3953, 4003, 4056, 4109, 4164, 4221,
    4279, 4339, 4401, 4464, 4530, 4597, 4667, 4739, 4814, 4891, 4972, 5055,
    5141, 5231, 5325, 5422, 5524, 5631, 5743, 5860, 5983, 6113, 6251, 6396,
    6551, 6715, 6891, 7080, 7283, 7503, 7742, 8005, 8294, 8615, 8976, 9386,
    9859, 10414, 11083, 11915, 13000,
};

/* "00".."99": two digits per table lookup. */
static const char DIG2[201] =
    "00010203040506070809"
    "10111213141516171819"
    "20212223242526272829"
    "30313233343536373839"
    "40414243444546474849"
    "50515253545556575859"
    "60616263646566676869"
    "70717273747576777879"
    "80818283848586878889"
    "90919293949596979899";

/* ---------------------------------------------------------------- formatting */

typedef struct txt {
    const char *s;
    size_t n;
} txt;
#define T(x) {x, sizeof(x) - 1}

static inline char *put_txt(char *p, txt t)
{
    memcpy(p, t.s, t.n);
    return p + t.n;
}

#define PUT_LIT(p, lit) (memcpy((p), (lit), sizeof(lit) - 1), (p) + sizeof(lit) - 1)

/* Decimal digits of v, straight to their place (outbuf.c's two-digit writer). */
static inline char *put_u64(char *p, uint64_t v)
{
    return ofi_raw_u64(p, v);
}

/* cents as a Python float prints them: 86.1, 9.29, 12.0. */
static char *put_money(char *p, uint64_t cents, char point)
{
    p = put_u64(p, cents / 100);
    *p++ = point;
    const unsigned f = (unsigned)(cents % 100);
    *p++ = (char)('0' + f / 10);
    if (f % 10 != 0)
        *p++ = (char)('0' + f % 10);
    return p;
}

/* "0." and the 16 digits of v < 10^16, trailing zeros dropped (at least one digit kept). */
static char *put_frac16(char *p, uint64_t v)
{
    *p++ = '0';
    *p++ = '.';
    char d[16];
    for (int i = 15; i >= 0; i--) {
        d[i] = (char)('0' + v % 10);
        v /= 10;
    }
    int n = 16;
    while (n > 1 && d[n - 1] == '0')
        n--;
    memcpy(p, d, (size_t)n);
    return p + n;
}

/* ---------------------------------------------------------------- vocabularies */

static const txt COUNTRY[] = {T("Germany"), T("Netherlands"), T("Belgium"), T("Austria"),
                              T("Italy"),   T("Switzerland"), T("Spain"),   T("Kosovo"),
                              T("France"),  T("Poland"),      T("Portugal"), T("Denmark")};
static const uint16_t COUNTRY_W[] = {215, 195, 137, 98, 98, 78, 78, 78, 8, 6, 5, 4};
/* signup_year 2021..2025, rising as in the sample. */
static const uint16_t SIGNUP_W[] = {118, 176, 221, 261, 224};
static const txt REGION[] = {T("North"), T("South"), T("East"), T("West"), T("Central")};
static const txt SEGMENT[] = {T("Standard"), T("Returning"), T("VIP")};
static const txt SEGMENT_MULT[] = {T("1.0"), T("1.1"), T("1.25")};
static const uint16_t SEGMENT_W[] = {58, 37, 5};
static const txt TEAM[] = {T("Ops Core"), T("Quality"), T("Billing"), T("Logistics"),
                           T("Escalations")};
static const uint16_t TEAM_W[] = {37, 23, 15, 13, 12};
static const txt SHIFT[] = {T("Morning"), T("Evening"), T("Night")};
static const uint16_t SHIFT_W[] = {59, 32, 9};
static const txt PGROUP[] = {T("Home"),       T("Electronics"), T("Other"),
                             T("Fresh Food"), T("Beauty"),      T("Kids")};
static const uint16_t PGROUP_W[] = {55, 52, 44, 41, 30, 28};

static const txt CHANNEL[] = {T("Chat"), T("Email"), T("Phone"), T("App")};
static const uint16_t CHANNEL_W[] = {42, 38, 12, 8};

enum { PRIO_LOW, PRIO_MEDIUM, PRIO_HIGH };
static const txt PRIORITY[] = {T("Low"), T("Medium"), T("High")};
/* Priority by issue (per mille Low, Medium, High), as in the sample: issues 3, 4, 6 are
 * always High, 1, 2, 5, 7 Medium with 7..17% High, 8, 9, 10 Low with ~5% High; over the
 * ten issues, High 36.8, Medium 34.9, Low 28.4%. */
static const uint16_t PRIORITY_BY_ISSUE_W[10][3] = {
    {0, 828, 172}, {0, 858, 142}, {0, 0, 1000},  {0, 0, 1000},  {0, 925, 75},
    {0, 0, 1000},  {0, 877, 123}, {942, 0, 58}, {946, 0, 54}, {949, 0, 51}};

enum { ST_CLOSED, ST_OPEN, ST_ESCALATED };
static const txt STATUS[] = {T("Closed"), T("Open"), T("Escalated")};
/* Status as in the sample: independent of escalated_flag. */
static const uint16_t STATUS_W[] = {86, 7, 7};

/* Flag rates by priority (Low, Medium, High). */
static const uint64_t RATE_ESC[3] = {0, 0, P32(14.9)};
static const uint64_t RATE_REOPEN[3] = {P32(3.0), P32(5.7), P32(6.9)};
static const uint64_t RATE_DELAY[3] = {P32(9.5), P32(25.0), P32(23.5)};
static const uint64_t RATE_CANCEL[3] = {0, 0, P32(16.2)};
static const uint64_t RATE_REFUND[3] = {P32(3.2), P32(10.0), P32(10.7)};
static const uint32_t *const Q_RES[3] = {Q_RES_LOW, Q_RES_MED, Q_RES_HIGH};

enum { EV_CREATED, EV_ASSIGNED, EV_AGENT_REPLY, EV_CUSTOMER_REPLY, EV_RESOLVED, EV_CLOSED,
       EV_ESCALATED, EV_REOPENED };
/* Event names padded to 16 bytes: the hot timeline loop copies a fixed 16 and advances by
 * the length (a variable memcpy is a libc call). The over-copy stays inside the row's
 * EV_LINE_MAX budget: the name starts before byte 67 of a row. */
static const char EVENT[8][16] = {"created",  "assigned", "agent_reply", "customer_reply",
                                  "resolved", "closed",   "escalated",   "reopened"};
static const uint8_t EVENT_LEN[8] = {7, 8, 11, 14, 8, 6, 9, 8};
/* Who acts in each event, as in the sample: 0 customer, 1 agent, 2 system (whose
 * channel is "System"; the others' is the case's). */
static const uint8_t EVENT_ACTOR[8] = {0, 2, 1, 0, 1, 2, 1, 0};
static const txt ACTOR[3] = {T("customer"), T("agent"), T("system")};
/* Agent and customer replies per case, 0..8 each: Poisson with means 1.59 and 1.56, as
 * in the sample (per 10000). */
static const uint16_t AGENT_REPLIES_W[] = {2039, 3242, 2577, 1366, 543, 173, 46, 10, 2};
static const uint16_t CUST_REPLIES_W[] = {2101, 3278, 2557, 1329, 518, 162, 42, 9, 2};
/* Hour a case is created (weights by hour of day, business hours heavier). */
static const uint16_t HOUR_W[24] = {1, 1, 1, 1, 1, 2, 4, 7, 9, 10, 10, 9,
                                    8, 9, 9, 8, 8, 7, 6, 6, 5, 4, 3, 2};

enum { RF_PARTIAL, RF_FULL };
static const txt REFUND_TYPE[] = {T("Partial"), T("Full")};

static const char MONTH_NAME[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
static const txt DAY_NAME[7] = {T("Monday"), T("Tuesday"), T("Wednesday"), T("Thursday"),
                                T("Friday"), T("Saturday"), T("Sunday")};

/* Injected problems. Each dirty row gets exactly one; `sub` (a random byte) picks the
 * variant. */
enum case_dirt {
    CD_NONE,
    CD_MALFORMED, /* sub&1: last field missing; else one extra field */
    CD_BADID,     /* sub%6: 0-2 "12abc", 3 NULL, 4 " 12 " (valid), 5 "12.0" (valid) */
    CD_DUP_EXACT, /* the row is written twice */
    CD_DUP_DIFF,  /* then a row with the same id and other content */
    CD_ORPHAN,    /* sub%8: 0-2 customer, 3-5 product, 6 agent, 7 issue or date_id */
    CD_PRIORITY,  /* sub%5: "urgent", " high ", NULL, "HIGH", "med" */
    CD_NEG_MIN,   /* sub&1: negative delay_minutes; else negative resolution_minutes */
    CD_FLAG2,     /* sub%5: which flag is 2 */
    CD_BIGINT,    /* an extra case (own events and refunds) with id 2^53 + 1 + 2*id */
    CD_UNICODE,   /* sub%3: a non-ASCII channel */
    CD_QUOTED,    /* sub%4: channel quoted with a comma, doubled quotes, a newline, or plain */
    CD_NULL,      /* sub%10: which column is NULL; (sub/10)%3 == 0: a blank, else empty */
    N_CASE_DIRT
};
enum ev_dirt {
    ED_NONE,
    ED_ORPHAN,    /* an extra event (next id) for a case id that does not exist */
    ED_MALFORMED, /* sub&1: no channel field; else one extra field */
    ED_BADID,     /* event_id "12abc" */
    ED_NULL_TS,   /* empty timestamp */
    ED_BAD_TS,    /* sub&1: "not a date"; else "31/12/2024 10:00" */
    ED_DUP,       /* the row is written twice */
    ED_NULL_CASE, /* empty case_id */
    ED_ODD_TS,    /* valid variants: sub&1: 'T' separator; else fractional seconds */
    ED_ODD_TYPE,  /* sub&1: "note"; else "sms_sent" */
    N_EV_DIRT
};
enum rf_dirt {
    RD_NONE,
    RD_ORPHAN,      /* an extra refund (next id) for a case id that does not exist */
    RD_MALFORMED,   /* sub&1: no amount field; else one extra field */
    RD_BADID,       /* refund_id "12abc" */
    RD_NULL_AMOUNT, /* empty amount */
    RD_COMMA_DEC,   /* "12,5": a quoted comma decimal (valid) */
    RD_BAD_AMOUNT,  /* "12.x" */
    RD_DUP,         /* the row is written twice */
    RD_NULL_CASE,   /* empty case_id */
    RD_ODD_TYPE,    /* sub&1: "full"; else "Partial " */
    N_RF_DIRT
};

#define BIGINT_BASE ((UINT64_C(1) << 53) + 1)
#define ORPHAN_SPAN UINT64_C(1000003)

/* ---------------------------------------------------------------- records */

/* One case as generated (clean values; dirt applies when it is formatted). */
typedef struct case_rec {
    uint64_t id;
    uint32_t customer, agent, product;
    uint16_t date_id, delay_min, res_min;
    uint8_t issue, channel, status, priority;
    uint8_t esc, reopen, delayed, cancelled, refund;
    uint8_t dirt, sub;
} case_rec;

/* One timeline event: ci indexes the block's case array; t is seconds since
 * 2024-01-01 00:00:00. */
typedef struct ev_rec {
    uint32_t ci;
    uint32_t t;
    uint8_t type, dirt, sub;
} ev_rec;

typedef struct rf_rec {
    uint32_t ci;
    uint32_t cents;
    uint8_t type, dirt, sub;
} rf_rec;

/* Read-only settings shared by all threads. */
typedef struct gen_cfg {
    uint64_t seed;
    uint64_t n_cases, n_customers, n_agents, n_products;
    uint64_t dirty_p32; /* threshold on 32-bit draws; 0 = clean, 2^32 = every row */
    int32_t epoch;      /* day number of 2024-01-01 */
    char day[N_TS_DAYS][10]; /* "YYYY-MM-DD" of epoch + i */
} gen_cfg;

/* One block's records and text, reused wave after wave by one thread. */
typedef struct slot {
    uint64_t block;
    case_rec *cs; /* capacity 2 * CASE_BLOCK: a block and its BIGINT extras */
    size_t n_cs, n_cs_lines;
    ev_rec *ev;
    size_t n_ev, cap_ev, n_ev_lines;
    rf_rec *rf;
    size_t n_rf, cap_rf, n_rf_lines;
    int overflow;      /* ev or rf filled up: regrow and regenerate */
    uint64_t ev_base;  /* event_id of the block's first event, minus 1 */
    uint64_t rf_base;  /* refund_id of the block's first refund, minus 1 */
    char *buf[3];      /* cases, case_timeline, refunds text */
    size_t len[3], cap[3];
} slot;

/* ---------------------------------------------------------------- generation */

static uint16_t round_centi(uint32_t v)
{
    return (uint16_t)((v + 50) / 100);
}

static void gen_case(const gen_cfg *g, rng *r, uint64_t id, case_rec *c)
{
    memset(c, 0, sizeof *c);
    c->id = id;
    c->date_id = (uint16_t)(1 + rng_below(r, N_DAYS));
    c->customer = (uint32_t)(1 + rng_below(r, g->n_customers));
    c->agent = (uint32_t)(1 + rng_below(r, g->n_agents));
    c->product = (uint32_t)(1 + rng_below(r, g->n_products));
    c->issue = (uint8_t)(1 + rng_below(r, N_ISSUES));
    c->channel = (uint8_t)PICK(r, CHANNEL_W);
    const unsigned p = rng_pick(r, PRIORITY_BY_ISSUE_W[c->issue - 1], 3);
    c->priority = (uint8_t)p;
    c->esc = (uint8_t)rng_chance(r, RATE_ESC[p]);
    c->reopen = (uint8_t)rng_chance(r, RATE_REOPEN[p]);
    c->delayed = (uint8_t)rng_chance(r, RATE_DELAY[p]);
    c->cancelled = (uint8_t)rng_chance(r, RATE_CANCEL[p]);
    c->refund = (uint8_t)rng_chance(r, RATE_REFUND[p]);
    c->delay_min = c->delayed ? round_centi(rng_quantile(r, Q_DELAY)) : 0;
    c->res_min = round_centi(rng_quantile(r, Q_RES[p]));
    c->status = (uint8_t)PICK(r, STATUS_W);
}

/* Room a case needs at most: 22 events (1+1+8+8+1+1+1+1), each possibly with an orphan
 * extra; 2 refunds, likewise. */
#define EV_PER_CASE_MAX 44u
#define RF_PER_CASE_MAX 4u

static void push_ev(const gen_cfg *g, slot *s, rng *d, uint32_t ci, uint32_t t, unsigned type)
{
    ev_rec *e = &s->ev[s->n_ev++];
    e->ci = ci;
    e->t = t;
    e->type = (uint8_t)type;
    e->dirt = ED_NONE;
    e->sub = 0;
    s->n_ev_lines++;
    if (d == NULL || !rng_chance(d, g->dirty_p32))
        return;
    const unsigned kind = 1 + (unsigned)rng_below(d, N_EV_DIRT - 1);
    const uint8_t sub = (uint8_t)(rng_next(d) >> 56);
    if (kind == ED_ORPHAN) {
        ev_rec *o = &s->ev[s->n_ev++];
        *o = *e;
        o->dirt = ED_ORPHAN;
        s->n_ev_lines++;
        return;
    }
    e->dirt = (uint8_t)kind;
    e->sub = sub;
    if (kind == ED_DUP)
        s->n_ev_lines++;
}

/* The timeline of case ci (see the top comment). d: the dirt stream, or NULL for none. */
static void gen_events(const gen_cfg *g, rng *r, rng *d, slot *s, uint32_t ci)
{
    const case_rec *c = &s->cs[ci];
    uint8_t types[24];
    int n = 0;
    types[n++] = EV_CREATED;
    const int assigned = rng_chance(r, P32(97.0));
    if (assigned)
        types[n++] = EV_ASSIGNED;
    const int mid = n;
    const unsigned n_agent = PICK(r, AGENT_REPLIES_W);
    const unsigned n_cust = PICK(r, CUST_REPLIES_W);
    if (c->esc && n_agent == 0) /* escalated without an agent reply: right away */
        types[n++] = EV_ESCALATED;
    for (unsigned a = 0, k = 0; a < n_agent || k < n_cust;) {
        if (a < n_agent) {
            types[n++] = EV_AGENT_REPLY;
            if (a++ == 0 && c->esc)
                types[n++] = EV_ESCALATED;
        }
        if (k < n_cust) {
            types[n++] = EV_CUSTOMER_REPLY;
            k++;
        }
    }
    const int resolved = rng_chance(r, c->status == ST_CLOSED ? P32(95.0) : P32(63.5));
    if (resolved)
        types[n++] = EV_RESOLVED;

    uint32_t t[24];
    const uint32_t t0 = (uint32_t)(c->date_id - 1) * 86400u +
                        (uint32_t)PICK(r, HOUR_W) * 3600u + (uint32_t)rng_below(r, 3600);
    const uint32_t span = (uint32_t)c->res_min * 60u; /* >= 180 */
    t[0] = t0;
    if (assigned) {
        const uint32_t room = span / 4 < 1770 ? span / 4 : 1770;
        t[1] = t0 + 30 + (uint32_t)rng_below(r, room + 1);
    }
    /* Events mid..n-1 at increasing positions over (base, t0 + span]: event j of m at
     * (4j + jitter) / D of the way, jitter in 0..3, the resolved event exactly at the end. */
    const uint32_t base = t[mid - 1];
    const uint64_t rem = (uint64_t)(t0 + span - base);
    const unsigned m = (unsigned)(n - mid);
    const uint64_t den = resolved ? 4 * m : 4 * m + 4;
    uint32_t prev = base;
    for (unsigned j = 1; j <= m; j++) {
        const uint64_t pos = (resolved && j == m) ? den : 4 * j + rng_below(r, 4);
        uint32_t tj = base + (uint32_t)(rem * pos / den);
        if (tj <= prev)
            tj = prev + 1;
        t[mid + (int)j - 1] = tj;
        prev = tj;
    }
    if (c->reopen) {
        const uint64_t a = rng_below(r, 71 * 3600), b = rng_below(r, 71 * 3600);
        prev += 3600 + (uint32_t)(a < b ? a : b);
        types[n] = EV_REOPENED;
        t[n++] = prev;
    }
    if (c->status == ST_CLOSED) {
        const uint64_t a = rng_below(r, 86340), b = rng_below(r, 86340);
        prev += 60 + (uint32_t)(a < b ? a : b);
        types[n] = EV_CLOSED;
        t[n++] = prev;
    }
    for (int i = 0; i < n; i++)
        push_ev(g, s, d, ci, t[i], types[i]);
}

static void push_rf(const gen_cfg *g, slot *s, rng *d, uint32_t ci, uint32_t cents, unsigned type)
{
    rf_rec *f = &s->rf[s->n_rf++];
    f->ci = ci;
    f->cents = cents;
    f->type = (uint8_t)type;
    f->dirt = RD_NONE;
    f->sub = 0;
    s->n_rf_lines++;
    if (d == NULL || !rng_chance(d, g->dirty_p32))
        return;
    const unsigned kind = 1 + (unsigned)rng_below(d, N_RF_DIRT - 1);
    const uint8_t sub = (uint8_t)(rng_next(d) >> 56);
    if (kind == RD_ORPHAN) {
        rf_rec *o = &s->rf[s->n_rf++];
        *o = *f;
        o->dirt = RD_ORPHAN;
        s->n_rf_lines++;
        return;
    }
    f->dirt = (uint8_t)kind;
    f->sub = sub;
    if (kind == RD_DUP)
        s->n_rf_lines++;
}

static void gen_refunds(const gen_cfg *g, rng *r, rng *d, slot *s, uint32_t ci)
{
    if (!s->cs[ci].refund)
        return;
    const unsigned n = 1 + (unsigned)rng_chance(r, P32(5.0));
    for (unsigned i = 0; i < n; i++) {
        const unsigned type = rng_chance(r, P32(59.0)) ? RF_PARTIAL : RF_FULL;
        push_rf(g, s, d, ci, rng_quantile(r, Q_REFUND), type);
    }
}

/* Phase A for one block: fills s->cs, s->ev, s->rf and the line counts. Sets s->overflow
 * (and stops) when ev or rf might not hold the next case; the caller grows them and calls
 * again, which regenerates the same records from the start. */
static void gen_case_block(const gen_cfg *g, slot *s)
{
    rng r, dr;
    rng_seed(&r, g->seed, STREAM_CASES, s->block);
    rng_seed(&dr, g->seed, STREAM_DIRT, s->block);
    rng *d = g->dirty_p32 != 0 ? &dr : NULL;
    s->n_cs = s->n_cs_lines = s->n_ev = s->n_ev_lines = s->n_rf = s->n_rf_lines = 0;
    s->overflow = 0;
    const uint64_t first = s->block * CASE_BLOCK + 1;
    const uint64_t last = g->n_cases - first < CASE_BLOCK ? g->n_cases : first + CASE_BLOCK - 1;
    for (uint64_t id = first; id <= last; id++) {
        if (s->n_ev + 2 * EV_PER_CASE_MAX > s->cap_ev ||
            s->n_rf + 2 * RF_PER_CASE_MAX > s->cap_rf) {
            s->overflow = 1;
            return;
        }
        const uint32_t ci = (uint32_t)s->n_cs++;
        case_rec *c = &s->cs[ci];
        gen_case(g, &r, id, c);
        s->n_cs_lines++;
        if (d != NULL && rng_chance(d, g->dirty_p32)) {
            c->dirt = (uint8_t)(1 + rng_below(d, N_CASE_DIRT - 1));
            c->sub = (uint8_t)(rng_next(d) >> 56);
            if (c->dirt == CD_DUP_EXACT || c->dirt == CD_DUP_DIFF)
                s->n_cs_lines++;
        }
        gen_events(g, &r, d, s, ci);
        gen_refunds(g, &r, d, s, ci);
        if (c->dirt == CD_BIGINT) {
            /* Drawn from the dirt stream, so that the clean cases stay as they are. */
            const uint32_t xi = (uint32_t)s->n_cs++;
            gen_case(g, &dr, BIGINT_BASE + 2 * id, &s->cs[xi]);
            s->n_cs_lines++;
            gen_events(g, &dr, NULL, s, xi);
            gen_refunds(g, &dr, NULL, s, xi);
        }
    }
}

/* ---------------------------------------------------------------- fact formatting */

static char *put_case_row(const gen_cfg *g, char *p, const case_rec *c)
{
    const unsigned dirt = c->dirt, sub = c->sub;
    const int nulled = dirt == CD_NULL ? (int)(sub % 10) : -1;
    const int blank = dirt == CD_NULL && (sub / 10) % 3 == 0;
#define PUT_NULL()                                                                                 \
    do {                                                                                           \
        if (blank)                                                                                 \
            *p++ = ' ';                                                                            \
    } while (0)

    if (dirt == CD_BADID) {
        switch (sub % 6) {
        case 3:
            break;
        case 4:
            *p++ = ' ';
            p = put_u64(p, c->id);
            *p++ = ' ';
            break;
        case 5:
            p = put_u64(p, c->id);
            p = PUT_LIT(p, ".0");
            break;
        default:
            p = put_u64(p, c->id);
            p = PUT_LIT(p, "abc");
        }
    } else {
        p = put_u64(p, c->id);
    }
    *p++ = ',';

    const unsigned orphan = dirt == CD_ORPHAN ? sub % 8 : 99;
    if (nulled == 0)
        PUT_NULL();
    else if (orphan == 7 && (sub & 8))
        p = put_u64(p, N_DAYS + 1 + c->id % 60);
    else
        p = put_u64(p, c->date_id);
    *p++ = ',';
    if (nulled == 1)
        PUT_NULL();
    else if (orphan <= 2)
        p = put_u64(p, g->n_customers + 1 + c->id % 997);
    else
        p = put_u64(p, c->customer);
    *p++ = ',';
    if (nulled == 2)
        PUT_NULL();
    else if (orphan == 6)
        p = put_u64(p, g->n_agents + 1 + c->id % 97);
    else
        p = put_u64(p, c->agent);
    *p++ = ',';
    if (nulled == 3)
        PUT_NULL();
    else if (orphan >= 3 && orphan <= 5)
        p = put_u64(p, g->n_products + 1 + c->id % 499);
    else
        p = put_u64(p, c->product);
    *p++ = ',';
    if (nulled == 4)
        PUT_NULL();
    else if (orphan == 7 && !(sub & 8))
        p = put_u64(p, N_ISSUES + 1 + c->id % 5);
    else
        p = put_u64(p, c->issue);
    *p++ = ',';

    if (nulled == 5) {
        PUT_NULL();
    } else if (dirt == CD_UNICODE) {
        static const txt U[3] = {T("T\xC3\xA9l\xC3\xA9phone"), T("R\xC3\xBC"
                                                                 "ckruf"),
                                 T("\xD0\xA7\xD0\xB0\xD1\x82")};
        p = put_txt(p, U[sub % 3]);
    } else if (dirt == CD_QUOTED) {
        static const txt Q[4] = {T("\"Chat, web\""), T("\"App \"\"beta\"\"\""),
                                 T("\"Phone\ncallback\""), T("\"Email\"")};
        p = put_txt(p, Q[sub % 4]);
    } else {
        p = put_txt(p, CHANNEL[c->channel]);
    }
    *p++ = ',';
    if (nulled == 6)
        PUT_NULL();
    else
        p = put_txt(p, STATUS[c->status]);
    *p++ = ',';
    if (dirt == CD_PRIORITY) {
        static const txt BADP[5] = {T("urgent"), T(" high "), T(""), T("HIGH"), T("med")};
        p = put_txt(p, BADP[sub % 5]);
    } else {
        p = put_txt(p, PRIORITY[c->priority]);
    }
    *p++ = ',';

    const unsigned flag2 = dirt == CD_FLAG2 ? sub % 5 : 99;
    *p++ = flag2 == 0 ? '2' : (char)('0' + c->esc);
    *p++ = ',';
    *p++ = flag2 == 1 ? '2' : (char)('0' + c->reopen);
    *p++ = ',';
    *p++ = flag2 == 2 ? '2' : (char)('0' + c->delayed);
    *p++ = ',';
    if (nulled == 7) {
        PUT_NULL();
    } else if (dirt == CD_NEG_MIN && (sub & 1)) {
        *p++ = '-';
        p = put_u64(p, c->delay_min ? c->delay_min : 5 + c->id % 55);
    } else {
        p = put_u64(p, c->delay_min);
    }
    *p++ = ',';
    *p++ = flag2 == 3 ? '2' : (char)('0' + c->cancelled);
    *p++ = ',';
    if (nulled == 8) {
        PUT_NULL();
    } else {
        if (dirt == CD_NEG_MIN && !(sub & 1))
            *p++ = '-';
        p = put_u64(p, c->res_min);
    }
    if (dirt == CD_MALFORMED && (sub & 1)) {
        *p++ = '\n'; /* has_refund missing */
        return p;
    }
    *p++ = ',';
    if (nulled == 9)
        PUT_NULL();
    else
        *p++ = flag2 == 4 ? '2' : (char)('0' + c->refund);
    if (dirt == CD_MALFORMED)
        p = PUT_LIT(p, ",extra");
    *p++ = '\n';
    return p;
#undef PUT_NULL
}

/* "YYYY-MM-DD HH:MM:SS" of t seconds after 2024-01-01 00:00:00. */
static inline char *put_ts(const gen_cfg *g, char *p, uint32_t t, char sep)
{
    const uint32_t day = t / 86400, sec = t % 86400;
    memcpy(p, g->day[day], 10);
    p[10] = sep;
    memcpy(p + 11, DIG2 + 2 * (sec / 3600), 2);
    p[13] = ':';
    memcpy(p + 14, DIG2 + 2 * (sec / 60 % 60), 2);
    p[16] = ':';
    memcpy(p + 17, DIG2 + 2 * (sec % 60), 2);
    return p + 19;
}

/* A timeline row in the sample's columns: event_id, case_id, event_timestamp,
 * event_type, actor_type, channel (the last two are extra columns the engine ignores, as
 * a real export carries them). */
static char *put_ev_row(const gen_cfg *g, char *p, const case_rec *cs, const ev_rec *e,
                        uint64_t event_id)
{
    const unsigned dirt = e->dirt, sub = e->sub;
    p = put_u64(p, event_id);
    if (dirt == ED_BADID)
        p = PUT_LIT(p, "abc");
    *p++ = ',';
    if (dirt == ED_ORPHAN)
        p = put_u64(p, g->n_cases + 1 + event_id % ORPHAN_SPAN);
    else if (dirt != ED_NULL_CASE)
        p = put_u64(p, cs[e->ci].id);
    *p++ = ',';
    if (dirt == ED_BAD_TS) {
        p = (sub & 1) ? PUT_LIT(p, "not a date") : PUT_LIT(p, "31/12/2024 10:00");
    } else if (dirt == ED_ODD_TS) {
        p = put_ts(g, p, e->t, (sub & 1) ? 'T' : ' ');
        if (!(sub & 1))
            p = PUT_LIT(p, ".250");
    } else if (dirt != ED_NULL_TS) {
        p = put_ts(g, p, e->t, ' ');
    }
    *p++ = ',';
    if (dirt == ED_ODD_TYPE) {
        p = (sub & 1) ? PUT_LIT(p, "note") : PUT_LIT(p, "sms_sent");
    } else {
        memcpy(p, EVENT[e->type], 16);
        p += EVENT_LEN[e->type];
    }
    const unsigned actor = EVENT_ACTOR[e->type];
    *p++ = ',';
    p = put_txt(p, ACTOR[actor]);
    if (dirt == ED_MALFORMED && (sub & 1)) { /* the last field missing */
        *p++ = '\n';
        return p;
    }
    *p++ = ',';
    p = actor == 2 ? PUT_LIT(p, "System") : put_txt(p, CHANNEL[cs[e->ci].channel]);
    if (dirt == ED_MALFORMED)
        p = PUT_LIT(p, ",x");
    *p++ = '\n';
    return p;
}

static char *put_rf_row(const gen_cfg *g, char *p, const case_rec *cs, const rf_rec *f,
                        uint64_t refund_id)
{
    const unsigned dirt = f->dirt, sub = f->sub;
    p = put_u64(p, refund_id);
    if (dirt == RD_BADID)
        p = PUT_LIT(p, "abc");
    *p++ = ',';
    if (dirt == RD_ORPHAN)
        p = put_u64(p, g->n_cases + 1 + refund_id % ORPHAN_SPAN);
    else if (dirt != RD_NULL_CASE)
        p = put_u64(p, cs[f->ci].id);
    *p++ = ',';
    if (dirt == RD_ODD_TYPE)
        p = (sub & 1) ? PUT_LIT(p, "full") : PUT_LIT(p, "Partial ");
    else
        p = put_txt(p, REFUND_TYPE[f->type]);
    if (dirt == RD_MALFORMED && (sub & 1)) {
        *p++ = '\n';
        return p;
    }
    *p++ = ',';
    if (dirt == RD_COMMA_DEC) {
        *p++ = '"';
        p = put_money(p, f->cents, ',');
        *p++ = '"';
    } else if (dirt == RD_BAD_AMOUNT) {
        p = put_u64(p, f->cents / 100);
        p = PUT_LIT(p, ".x");
    } else if (dirt != RD_NULL_AMOUNT) {
        p = put_money(p, f->cents, '.');
    }
    if (dirt == RD_MALFORMED)
        p = PUT_LIT(p, ",x");
    *p++ = '\n';
    return p;
}

/* Phase B for one block: its three texts. The buffers hold the n_*_lines bounds. */
static void fmt_case_block(const gen_cfg *g, slot *s)
{
    char *p = s->buf[0];
    for (size_t i = 0; i < s->n_cs; i++) {
        const case_rec *c = &s->cs[i];
        char *row = p;
        p = put_case_row(g, p, c);
        if (c->dirt == CD_DUP_EXACT) {
            const size_t n = (size_t)(p - row);
            memmove(p, row, n);
            p += n;
        } else if (c->dirt == CD_DUP_DIFF) {
            case_rec x = *c;
            x.dirt = CD_NONE;
            x.priority = (uint8_t)((c->priority + 1) % 3);
            x.channel = (uint8_t)((c->channel + 1) % 4);
            x.res_min = (uint16_t)(c->res_min + 1 + c->id % 50);
            x.agent = (uint32_t)(1 + (c->agent % g->n_agents));
            p = put_case_row(g, p, &x);
        }
    }
    s->len[0] = (size_t)(p - s->buf[0]);

    p = s->buf[1];
    for (size_t i = 0; i < s->n_ev; i++) {
        char *row = p;
        p = put_ev_row(g, p, s->cs, &s->ev[i], s->ev_base + i + 1);
        if (s->ev[i].dirt == ED_DUP) {
            const size_t n = (size_t)(p - row);
            memmove(p, row, n);
            p += n;
        }
    }
    s->len[1] = (size_t)(p - s->buf[1]);

    p = s->buf[2];
    for (size_t i = 0; i < s->n_rf; i++) {
        char *row = p;
        p = put_rf_row(g, p, s->cs, &s->rf[i], s->rf_base + i + 1);
        if (s->rf[i].dirt == RD_DUP) {
            const size_t n = (size_t)(p - row);
            memmove(p, row, n);
            p += n;
        }
    }
    s->len[2] = (size_t)(p - s->buf[2]);
}

/* ---------------------------------------------------------------- dimension formatting */

typedef char *(*dim_fn)(const gen_cfg *g, rng *r, uint64_t id, char *p);

static char *put_customer_row(const gen_cfg *g, rng *r, uint64_t id, char *p)
{
    (void)g;
    p = put_u64(p, id);
    *p++ = ',';
    p = put_txt(p, COUNTRY[PICK(r, COUNTRY_W)]);
    *p++ = ',';
    p = put_txt(p, REGION[rng_below(r, 5)]);
    *p++ = ',';
    const unsigned seg = PICK(r, SEGMENT_W);
    p = put_txt(p, SEGMENT[seg]);
    *p++ = ',';
    p = put_u64(p, 2021 + PICK(r, SIGNUP_W));
    *p++ = ',';
    p = put_txt(p, SEGMENT_MULT[seg]);
    *p++ = '\n';
    return p;
}

static char *put_agent_row(const gen_cfg *g, rng *r, uint64_t id, char *p)
{
    (void)g;
    p = put_u64(p, id);
    *p++ = ',';
    p = put_txt(p, TEAM[PICK(r, TEAM_W)]);
    *p++ = ',';
    p = put_txt(p, SHIFT[PICK(r, SHIFT_W)]);
    *p++ = ',';
    p = put_u64(p, 1 + rng_below(r, 120));
    *p++ = ',';
    p = put_money(p, 80 + rng_below(r, 41), '.');
    *p++ = '\n';
    return p;
}

static char *put_product_row(const gen_cfg *g, rng *r, uint64_t id, char *p)
{
    (void)g;
    p = put_u64(p, id);
    *p++ = ',';
    p = put_txt(p, PGROUP[PICK(r, PGROUP_W)]);
    *p++ = ',';
    p = put_money(p, 500 + rng_below(r, 19501), '.');
    *p++ = ',';
    p = put_frac16(p, rng_below(r, UINT64_C(10000000000000000)));
    *p++ = '\n';
    return p;
}

/* ---------------------------------------------------------------- output files */

/* The eight files are written to temporary names and renamed into place together at the
 * end (ofi_outset, as a run's outputs): a gen that fails replaces nothing, and leaves no
 * half-written table that a later run would read. */
typedef struct out_file {
    ofi_outset *set;
    ofi_outstream s;
    int open;
} out_file;

static ofi_status out_open(ofi_ctx *ctx, out_file *o, ofi_outset *set, const char *name,
                           const char *header)
{
    o->set = set;
    OFI_TRY(ofi_outset_open(ctx, set, name, &o->s));
    o->open = 1;
    return ofi_outstream_write(ctx, set, &o->s, header, strlen(header));
}

static ofi_status out_write(ofi_ctx *ctx, out_file *o, const char *buf, size_t n)
{
    return n ? ofi_outstream_write(ctx, o->set, &o->s, buf, n) : OFI_OK;
}

/* Flush, check and close; a no-op on a file never opened or already closed. */
static ofi_status out_close(ofi_ctx *ctx, out_file *o)
{
    if (!o->open)
        return OFI_OK;
    o->open = 0;
    return ofi_outset_close(ctx, o->set, &o->s);
}

/* ---------------------------------------------------------------- tables */

static ofi_status write_calendar(ofi_ctx *ctx, const gen_cfg *g, ofi_outset *set)
{
    out_file o = {0};
    ofi_status st = OFI_OK;
    char *buf = malloc((size_t)N_DAYS * DIM_LINE_MAX);
    if (buf == NULL)
        return ofi_fail(ctx, OFI_E_NOMEM, "out of memory writing calendar.csv");
    char *p = buf;
    for (unsigned i = 0; i < N_DAYS; i++) {
        const int32_t days = g->epoch + (int32_t)i;
        int y, m, d, iso_year, iso_week;
        int32_t monday;
        ofi_civil_from_days(days, &y, &m, &d);
        ofi_iso_week(days, &monday, &iso_year, &iso_week);
        p = put_u64(p, i + 1);
        *p++ = ',';
        memcpy(p, g->day[i], 10);
        p += 10;
        *p++ = ',';
        p = put_u64(p, (uint64_t)y);
        *p++ = ',';
        p = put_u64(p, (uint64_t)m);
        *p++ = ',';
        memcpy(p, MONTH_NAME[m - 1], 3);
        p += 3;
        *p++ = ',';
        p = put_u64(p, (uint64_t)(m - 1) / 3 + 1);
        *p++ = ',';
        p = put_txt(p, DAY_NAME[days - monday]);
        *p++ = ',';
        p = put_u64(p, (uint64_t)iso_week);
        *p++ = '\n';
    }
    OFI_CHECK(out_open(ctx, &o, set, "calendar.csv",
                       "date_id,calendar_date,year,month,month_name,quarter,day_name,"
                       "week_of_year\n"));
    OFI_CHECK(out_write(ctx, &o, buf, (size_t)(p - buf)));
    OFI_CHECK(out_close(ctx, &o));
cleanup:
    out_close(ctx, &o);
    free(buf);
    return st;
}

static ofi_status write_issue_catalog(ofi_ctx *ctx, ofi_outset *set)
{
    static const char TEXT[] =
        "issue_id,issue_category,root_cause,severity,friction_weight,severity_multiplier\n"
        "1,Delivery,Late delivery,High,3.5,1.6\n"
        "2,Delivery,Missed timeslot,Med,2.7,1.25\n"
        "3,Delivery,Damaged package,High,3.8,1.6\n"
        "4,Product,Missing item,High,3.6,1.6\n"
        "5,Product,Wrong item,Med,2.4,1.25\n"
        "6,Payment,Charged twice,High,3.9,1.6\n"
        "7,Payment,Payment failed,Med,2.5,1.25\n"
        "8,Account,Login issue,Low,1.2,1.0\n"
        "9,Account,Address change,Low,1.0,1.0\n"
        "10,Other,General question,Low,0.8,1.0\n";
    out_file o = {0};
    ofi_status st = OFI_OK;
    OFI_CHECK(out_open(ctx, &o, set, "issue_catalog.csv", ""));
    OFI_CHECK(out_write(ctx, &o, TEXT, sizeof TEXT - 1));
    OFI_CHECK(out_close(ctx, &o));
cleanup:
    out_close(ctx, &o);
    return st;
}

/* A dimension table: blocks of DIM_BLOCK rows, each from its own stream, formatted in
 * parallel waves and written in block order. */
static ofi_status write_dim(ofi_ctx *ctx, const gen_cfg *g, ofi_outset *set, const char *name,
                            const char *header, uint64_t stream, uint64_t n_rows, dim_fn fn,
                            int n_threads)
{
    out_file o = {0};
    ofi_status st = OFI_OK;
    const uint64_t n_blocks = (n_rows + DIM_BLOCK - 1) / DIM_BLOCK;
    const int n_slots = n_blocks < (uint64_t)n_threads ? (int)n_blocks : n_threads;
    char **bufs = calloc((size_t)n_slots + 1, sizeof *bufs);
    size_t *lens = calloc((size_t)n_slots + 1, sizeof *lens);
    if (bufs == NULL || lens == NULL) {
        st = ofi_fail(ctx, OFI_E_NOMEM, "out of memory writing %s", name);
        goto cleanup;
    }
    for (int i = 0; i < n_slots; i++) {
        bufs[i] = malloc((size_t)DIM_BLOCK * DIM_LINE_MAX);
        if (bufs[i] == NULL) {
            st = ofi_fail(ctx, OFI_E_NOMEM, "out of memory writing %s", name);
            goto cleanup;
        }
    }
    OFI_CHECK(out_open(ctx, &o, set, name, header));
    for (uint64_t w = 0; w < n_blocks; w += (uint64_t)n_slots) {
        const int n_wave = n_blocks - w < (uint64_t)n_slots ? (int)(n_blocks - w) : n_slots;
#pragma omp parallel for num_threads(n_threads) schedule(dynamic, 1)
        for (int i = 0; i < n_wave; i++) {
            const uint64_t b = w + (uint64_t)i;
            const uint64_t first = b * DIM_BLOCK + 1;
            const uint64_t last = n_rows - first < DIM_BLOCK ? n_rows : first + DIM_BLOCK - 1;
            rng r;
            rng_seed(&r, g->seed, stream, b);
            char *p = bufs[i];
            for (uint64_t id = first; id <= last; id++)
                p = fn(g, &r, id, p);
            lens[i] = (size_t)(p - bufs[i]);
        }
        for (int i = 0; i < n_wave; i++)
            OFI_CHECK(out_write(ctx, &o, bufs[i], lens[i]));
    }
    OFI_CHECK(out_close(ctx, &o));
    ofi_log(ctx, OFI_LOG_INFO, "gen: %s: %llu rows", name, (unsigned long long)n_rows);
cleanup:
    out_close(ctx, &o);
    if (bufs != NULL)
        for (int i = 0; i < n_slots; i++)
            free(bufs[i]);
    free(bufs);
    free(lens);
    return st;
}

static void slot_free(slot *s)
{
    free(s->cs);
    free(s->ev);
    free(s->rf);
    for (int k = 0; k < 3; k++)
        free(s->buf[k]);
}

/* Make sure buffer k of s holds need bytes (sequential code only). */
static int slot_reserve(slot *s, int k, size_t need)
{
    if (s->cap[k] >= need)
        return 1;
    char *nb = realloc(s->buf[k], need);
    if (nb == NULL)
        return 0;
    s->buf[k] = nb;
    s->cap[k] = need;
    return 1;
}

/* cases, case_timeline and refunds, together: a timeline or refund row needs its case. */
static ofi_status write_facts(ofi_ctx *ctx, const gen_cfg *g, ofi_outset *set, int n_threads)
{
    out_file o[3] = {{0}, {0}, {0}};
    ofi_status st = OFI_OK;
    const uint64_t n_blocks = (g->n_cases + CASE_BLOCK - 1) / CASE_BLOCK;
    const int n_slots = n_blocks < (uint64_t)n_threads ? (int)n_blocks : n_threads;
    uint64_t n_events = 0, n_refunds = 0, n_rows = 0;
    slot *sl = calloc((size_t)n_slots + 1, sizeof *sl);
    if (sl == NULL) {
        st = ofi_fail(ctx, OFI_E_NOMEM, "out of memory generating cases");
        goto cleanup;
    }
    for (int i = 0; i < n_slots; i++) {
        slot *s = &sl[i];
        s->cap_ev = (size_t)CASE_BLOCK * EV_CAP_PER_CASE;
        s->cap_rf = (size_t)CASE_BLOCK / RF_CAP_DIVISOR;
        s->cs = malloc(2 * (size_t)CASE_BLOCK * sizeof *s->cs);
        s->ev = malloc(s->cap_ev * sizeof *s->ev);
        s->rf = malloc(s->cap_rf * sizeof *s->rf);
        if (s->cs == NULL || s->ev == NULL || s->rf == NULL) {
            st = ofi_fail(ctx, OFI_E_NOMEM, "out of memory generating cases");
            goto cleanup;
        }
    }
    OFI_CHECK(out_open(ctx, &o[0], set, "cases.csv",
                       "case_id,date_id,customer_id,agent_id,product_id,issue_id,channel,"
                       "status,priority,escalated_flag,reopened_flag,is_delayed,delay_minutes,"
                       "is_cancelled,resolution_minutes,has_refund\n"));
    OFI_CHECK(out_open(ctx, &o[1], set, "case_timeline.csv",
                       "event_id,case_id,event_timestamp,event_type,actor_type,channel\n"));
    OFI_CHECK(out_open(ctx, &o[2], set, "refunds.csv",
                       "refund_id,case_id,refund_type,refund_amount_eur\n"));

    for (uint64_t w = 0; w < n_blocks; w += (uint64_t)n_slots) {
        const int n_wave = n_blocks - w < (uint64_t)n_slots ? (int)(n_blocks - w) : n_slots;

        /* Phase A: records. */
#pragma omp parallel for num_threads(n_threads) schedule(dynamic, 1)
        for (int i = 0; i < n_wave; i++) {
            sl[i].block = w + (uint64_t)i;
            gen_case_block(g, &sl[i]);
        }

        /* Sequential: regrow and regenerate full blocks, size the texts, number the rows. */
        for (int i = 0; i < n_wave; i++) {
            slot *s = &sl[i];
            while (s->overflow) {
                ev_rec *ne = realloc(s->ev, 2 * s->cap_ev * sizeof *ne);
                if (ne != NULL)
                    s->ev = ne, s->cap_ev *= 2;
                rf_rec *nr = realloc(s->rf, 2 * s->cap_rf * sizeof *nr);
                if (nr != NULL)
                    s->rf = nr, s->cap_rf *= 2;
                if (ne == NULL || nr == NULL) {
                    st = ofi_fail(ctx, OFI_E_NOMEM, "out of memory generating cases");
                    goto cleanup;
                }
                gen_case_block(g, s);
            }
            if (!slot_reserve(s, 0, s->n_cs_lines * CASE_LINE_MAX + 1) ||
                !slot_reserve(s, 1, s->n_ev_lines * EV_LINE_MAX + 1) ||
                !slot_reserve(s, 2, s->n_rf_lines * RF_LINE_MAX + 1)) {
                st = ofi_fail(ctx, OFI_E_NOMEM, "out of memory generating cases");
                goto cleanup;
            }
            s->ev_base = n_events;
            s->rf_base = n_refunds;
            n_events += s->n_ev;
            n_refunds += s->n_rf;
            n_rows += s->n_cs_lines;
        }

        /* Phase B: text. */
#pragma omp parallel for num_threads(n_threads) schedule(dynamic, 1)
        for (int i = 0; i < n_wave; i++)
            fmt_case_block(g, &sl[i]);

        for (int i = 0; i < n_wave; i++)
            for (int k = 0; k < 3; k++)
                OFI_CHECK(out_write(ctx, &o[k], sl[i].buf[k], sl[i].len[k]));
    }
    for (int k = 0; k < 3; k++)
        OFI_CHECK(out_close(ctx, &o[k]));
    ofi_log(ctx, OFI_LOG_INFO, "gen: cases.csv: %llu rows, case_timeline.csv: %llu events, "
                               "refunds.csv: %llu refunds",
            (unsigned long long)n_rows, (unsigned long long)n_events,
            (unsigned long long)n_refunds);
cleanup:
    for (int k = 0; k < 3; k++)
        out_close(ctx, &o[k]);
    if (sl != NULL)
        for (int i = 0; i < n_slots; i++)
            slot_free(&sl[i]);
    free(sl);
    return st;
}

ofi_status ofi_gen_write(ofi_ctx *ctx, const ofi_gen_opts *opts)
{
    if (opts->out_dir == NULL || opts->out_dir[0] == '\0')
        return ofi_fail(ctx, OFI_E_USAGE, "gen: no output directory");
    if (!(opts->dirty_rate >= 0.0 && opts->dirty_rate <= 1.0))
        return ofi_fail(ctx, OFI_E_USAGE, "gen: dirty rate %g is not in [0, 1]",
                        opts->dirty_rate);
    if (opts->n_cases > UINT32_MAX)
        return ofi_fail(ctx, OFI_E_USAGE, "gen: too many cases (%llu)",
                        (unsigned long long)opts->n_cases);
    const int n_threads = ctx->n_threads < 1 ? 1 : ctx->n_threads;
    const char *dir = opts->out_dir;

    ofi_outset set = {0};
    gen_cfg *g = malloc(sizeof *g);
    if (g == NULL)
        return ofi_fail(ctx, OFI_E_NOMEM, "out of memory");
    ofi_status st = OFI_OK;
    g->seed = opts->seed;
    g->n_cases = opts->n_cases;
    g->n_customers = opts->n_cases / 4 > 0 ? opts->n_cases / 4 : 1;
    g->n_agents = opts->n_cases / 500 > 20 ? opts->n_cases / 500 : 20;
    g->n_products = opts->n_cases / 240 > 50 ? opts->n_cases / 240 : 50;
    /* The one floating-point step: the rate as a threshold on 32-bit draws. */
    g->dirty_p32 = (uint64_t)(opts->dirty_rate * 4294967296.0);
    if (opts->dirty_rate > 0.0 && g->dirty_p32 == 0)
        g->dirty_p32 = 1;
    g->epoch = ofi_days_from_civil(2024, 1, 1);
    for (unsigned i = 0; i < N_TS_DAYS; i++)
        ofi_format_date(g->epoch + (int32_t)i, g->day[i]);

    OFI_CHECK(ofi_outset_init(ctx, &set, dir));
    OFI_CHECK(ofi_outset_lock(ctx, &set, "gen"));
    OFI_CHECK(write_calendar(ctx, g, &set));
    OFI_CHECK(write_dim(ctx, g, &set, "customers.csv",
                        "customer_id,country,region,segment,signup_year,segment_multiplier\n",
                        STREAM_CUSTOMERS, g->n_customers, put_customer_row, n_threads));
    OFI_CHECK(write_dim(ctx, g, &set, "agents.csv",
                        "agent_id,team,shift,tenure_months,speed_factor\n", STREAM_AGENTS,
                        g->n_agents, put_agent_row, n_threads));
    OFI_CHECK(write_dim(ctx, g, &set, "products.csv",
                        "product_id,product_group,base_price_eur,risk_score\n", STREAM_PRODUCTS,
                        g->n_products, put_product_row, n_threads));
    OFI_CHECK(write_issue_catalog(ctx, &set));
    OFI_CHECK(write_facts(ctx, g, &set, n_threads));
    OFI_CHECK(ofi_outset_commit(ctx, &set));
cleanup:
    if (st != OFI_OK)
        ofi_outset_abort(&set);
    ofi_outset_free(&set);
    free(g);
    return st;
}
