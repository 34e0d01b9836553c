// bench/avx2: LD_PRELOAD library that emulates CPUID for code whose cpuid instructions were patched to ud2 (0F 0B),
// hiding AVX-512 (all subsets), AVX-VNNI, AVX512-BF16, AMX. The real instruction runs, the
// result is masked, RIP += 2. Only patched libraries are affected.
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <ucontext.h>
#include <cpuid.h>

static long hits;
static int verbose;

static void handler(int sig, siginfo_t *si, void *vctx) {
    ucontext_t *uc = (ucontext_t *)vctx;
    greg_t *r = uc->uc_mcontext.gregs;
    unsigned char *ip = (unsigned char *)r[REG_RIP];
    if (!(ip[0] == 0x0F && ip[1] == 0x0B)) { signal(SIGILL, SIG_DFL); return; }
    unsigned leaf = (unsigned)r[REG_RAX], sub = (unsigned)r[REG_RCX];
    unsigned a, b, c, d;
    __cpuid_count(leaf, sub, a, b, c, d);
    if (leaf == 7 && sub == 0) {
        // EBX: avx512f16 dq17 ifma21 pf26 er27 cd28 bw30 vl31; EDX: amx 22,24,25, avx512_4* 2,3, vp2intersect 8, fp16 23
        b &= ~((1u<<16)|(1u<<17)|(1u<<21)|(1u<<26)|(1u<<27)|(1u<<28)|(1u<<30)|(1u<<31));
        // ECX: vbmi1 vbmi2 6 vnni11 bitalg12 vpopcntdq14 (gfni8/vaes9/vpclmul10 kept: they exist on AVX2 Zen3)
        c &= ~((1u<<1)|(1u<<6)|(1u<<11)|(1u<<12)|(1u<<14));
        d &= ~((1u<<2)|(1u<<3)|(1u<<8)|(1u<<22)|(1u<<23)|(1u<<24)|(1u<<25));
    } else if (leaf == 7 && sub == 1) {
        // EAX: avx_vnni 4, avx512_bf16 5; EDX: avx_vnni_int8 4, avx_ne_convert 5
        a &= ~((1u<<4)|(1u<<5)); d &= ~((1u<<4)|(1u<<5));
    } else if (leaf == 0xD && sub == 0) {
        a &= ~0xE0u;  // XCR0-supported mask: no opmask/ZMM state
    }
    r[REG_RAX] = a; r[REG_RBX] = b; r[REG_RCX] = c; r[REG_RDX] = d;
    r[REG_RIP] += 2;
    hits++;
    if (verbose) fprintf(stderr, "[cpuid_mask] leaf %x.%x -> %08x %08x %08x %08x\n", leaf, sub, a, b, c, d);
}

__attribute__((constructor)) static void init(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = handler;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigaction(SIGILL, &sa, NULL);
    verbose = getenv("CPUID_MASK_VERBOSE") != NULL;
}

long cpuid_mask_hits(void) { return hits; }
