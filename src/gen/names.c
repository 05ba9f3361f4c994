/* SPDX-License-Identifier: Apache-2.0 */
/*
 * names.c: synthetic identities: names, relatives' names, the spelling
 * variants another agency writes, birth-date slips, addresses, phones and
 * A-numbers.
 *
 * Names are the hard part of linking records across agencies, so they are
 * generated the way they go wrong in practice: Hispanic double surnames that
 * lose their second half or swap order, accents dropped by systems that only
 * take ASCII, transliterations (González / Gonzales, Xuc / Shuc), a
 * compound given name cut to its first part, everything in upper case.
 * Relatives share surnames as they do in Latin America (a father passes on
 * his first surname, a mother hers), so household and sponsor linkage has
 * something real to find. Addresses use visibly fictional streets and phones
 * the 555-01xx block reserved for fiction.
 */
#include <ctype.h>

#include "gen_int.h"

#include "sk_int.h"

static const char *pick_name(gen_rng *rng, const gen_name_list *list)
{
    SK_ASSERT(list->count > 0);
    return list->items[gen_rng_below(rng, list->count)];
}

static void given_name(gen_rng *rng, unsigned name_set, unsigned sex, char *out, size_t out_len)
{
    const gen_name_tables *t = &gen_names[name_set];
    unsigned s = sex;

    /* Unknown sex (3) still needs a name; take either list. */
    if (s > 1)
        s = (unsigned)gen_rng_below(rng, 2);
    if (t->compound[s].count > 0 && gen_rng_below(rng, 100) < t->compound_pct)
        snprintf(out, out_len, "%s", pick_name(rng, &t->compound[s]));
    else
        snprintf(out, out_len, "%s", pick_name(rng, &t->given[s]));
}

static const char *surname(gen_rng *rng, unsigned name_set, int indigenous)
{
    /* Q'anjob'al, Mam and K'iche' speakers mostly carry Mayan surnames. */
    if (name_set == GEN_NAMES_HISPANIC && indigenous && gen_rng_chance(rng, 0.6))
        return pick_name(rng, &gen_mayan_surnames);
    return pick_name(rng, &gen_names[name_set].surnames);
}

void gen_person_name(gen_rng *rng, unsigned name_set, int indigenous, unsigned sex, gen_name *out)
{
    const char *s1, *s2;

    SK_ASSERT(name_set < GEN_NAMES__COUNT);
    SK_ASSERT(out != NULL);
    given_name(rng, name_set, sex, out->given, sizeof(out->given));
    s1 = surname(rng, name_set, indigenous);
    if (gen_rng_below(rng, 100) < gen_names[name_set].double_pct) {
        s2 = surname(rng, name_set, indigenous);
        if (s2 == s1)
            s2 = surname(rng, name_set, 0);
        snprintf(out->family, sizeof(out->family), "%s %s", s1, s2);
    } else {
        snprintf(out->family, sizeof(out->family), "%s", s1);
    }
}

/* Splits "García López" into its first surname and the rest. */
static void split_family(const char *family, char *first, size_t first_len, const char **rest)
{
    const char *sp = strchr(family, ' ');
    size_t n = sp ? (size_t)(sp - family) : strlen(family);

    if (n >= first_len)
        n = first_len - 1;
    memcpy(first, family, n);
    first[n] = '\0';
    *rest = sp ? sp + 1 : "";
}

void gen_relative_name(gen_rng *rng, const gen_child *c, unsigned relationship, unsigned sex,
                       gen_name *out)
{
    unsigned set = gen_countries[c->country].name_set;
    char s1[GEN_NAME_MAX], keep[GEN_NAME_MAX], own[GEN_NAME_MAX];
    const char *s2, *own_rest;
    const char *shared = NULL;
    const char *rel = sk_relationships[relationship];

    SK_ASSERT(out != NULL);
    gen_person_name(rng, set, c->indigenous, sex, out);
    split_family(c->name.family, s1, sizeof(s1), &s2);
    if (strcmp(rel, "sibling") == 0) {
        snprintf(out->family, sizeof(out->family), "%s", c->name.family);
        return;
    }
    if (strcmp(rel, "parent") == 0)
        shared = (sex == 0 && s2[0] != '\0') ? s2 : s1; /* mothers pass on their own */
    else if (strcmp(rel, "grandparent") == 0 || strcmp(rel, "aunt_uncle") == 0)
        shared = (s2[0] != '\0' && gen_rng_chance(rng, 0.4)) ? s2 : s1;
    else if (strcmp(rel, "cousin") == 0 || strcmp(rel, "other_relative") == 0 ||
             strcmp(rel, "legal_guardian") == 0)
        shared = gen_rng_chance(rng, 0.5) ? s1 : NULL;
    if (shared == NULL)
        return;
    if (gen_names[set].double_pct == 0) {
        snprintf(out->family, sizeof(out->family), "%s", c->name.family);
        return;
    }
    /* The shared surname first, then the relative's own first surname. */
    snprintf(keep, sizeof(keep), "%s", shared);
    split_family(out->family, own, sizeof(own), &own_rest);
    if (strcmp(own, keep) == 0)
        snprintf(own, sizeof(own), "%s", pick_name(rng, &gen_names[set].surnames));
    snprintf(out->family, sizeof(out->family), "%.47s %.47s", keep, own);
}

/* ASCII for the Latin-1 letters U+00C0..U+00FF (UTF-8 C3 80..C3 BF). */
static const char fold_c3[65] = "AAAAAAACEEEEIIIIDNOOOOOxOUUUUYTs"
                                "aaaaaaaceeeeiiiidnooooo-ouuuuyty";

void gen_ascii_fold(const char *in, char *out, size_t out_len)
{
    size_t o = 0;

    SK_ASSERT(in != NULL && out != NULL && out_len > 0);
    while (*in != '\0' && o + 1 < out_len) {
        unsigned char b = (unsigned char)in[0];
        unsigned char n = (unsigned char)in[1];
        if (b == 0xC3 && n >= 0x80 && n <= 0xBF) {
            out[o++] = fold_c3[n - 0x80];
            in += 2;
        } else {
            out[o++] = (char)b;
            in++;
        }
    }
    out[o] = '\0';
}

static void upper_ascii(char *s)
{
    for (; *s != '\0'; s++)
        *s = (char)toupper((unsigned char)*s);
}

/* Spellings a clerk or a system produces from a name heard or typed. */
static const char *const translit[][2] = {
    {"González", "Gonzales"},
    {"Vásquez", "Vazquez"},
    {"Hernández", "Hernandes"},
    {"Rodríguez", "Rodrigues"},
    {"Velásquez", "Velazquez"},
    {"Pérez", "Peres"},
    {"Jiménez", "Gimenez"},
    {"Chávez", "Chaves"},
    {"Méndez", "Mendes"},
    {"Sánchez", "Sanches"},
    {"Gutiérrez", "Gutierres"},
    {"Ordóñez", "Ordonez"},
    {"Xuc", "Shuc"},
    {"Tzoc", "Tzok"},
    {"Coc", "Cok"},
    {"Caal", "Cal"},
    {"Tz'ul", "Tzul"},
    {"K'anil", "Canil"},
    {"Brayan", "Bryan"},
    {"Yeimy", "Jeimy"},
    {"Yesenia", "Jesenia"},
    {"Jonathan", "Jhonatan"},
    {"Wilmer", "Guilmer"},
    {"Josselyn", "Joselin"},
    {"Yoselin", "Joselyn"},
    {"Ximena", "Jimena"},
    {"Kimberly", "Kimberli"},
    {"Heidy", "Heidi"},
    {"Singh", "Sing"},
    {"Zhang", "Chang"},
};

/* Replaces the first transliterable part of s; 1 when something changed. */
static int transliterate(char *s, size_t len)
{
    char tmp[GEN_NAME_MAX];
    size_t i;

    for (i = 0; i < SK_ARRAY_LEN(translit); i++) {
        const char *at = strstr(s, translit[i][0]);
        if (at == NULL)
            continue;
        snprintf(tmp, sizeof(tmp), "%.*s%s%s", (int)(at - s), s, translit[i][1],
                 at + strlen(translit[i][0]));
        snprintf(s, len, "%s", tmp);
        return 1;
    }
    return 0;
}

/* Keeps the first word of a compound name or the first of two surnames. */
static int drop_second(char *s)
{
    char *sp = strchr(s, ' ');

    if (sp == NULL)
        return 0;
    *sp = '\0';
    return 1;
}

static int swap_surnames(char *s, size_t len)
{
    char tmp[GEN_NAME_MAX];
    const char *sp = strchr(s, ' ');

    if (sp == NULL || strchr(sp + 1, ' ') != NULL)
        return 0;
    snprintf(tmp, sizeof(tmp), "%s %.*s", sp + 1, (int)(sp - s), s);
    snprintf(s, len, "%s", tmp);
    return 1;
}

static int fold_in_place(char *s, size_t len)
{
    char tmp[GEN_NAME_MAX];

    gen_ascii_fold(s, tmp, sizeof(tmp));
    if (strcmp(tmp, s) == 0)
        return 0;
    snprintf(s, len, "%s", tmp);
    return 1;
}

static int hyphenate(char *s)
{
    char *sp = strchr(s, ' ');

    if (sp == NULL)
        return 0;
    *sp = '-';
    return 1;
}

static int apply_variant(gen_rng *rng, gen_name *n)
{
    switch (gen_rng_below(rng, 8)) {
    case 0:
        return fold_in_place(n->family, sizeof(n->family)) |
               fold_in_place(n->given, sizeof(n->given));
    case 1:
        return swap_surnames(n->family, sizeof(n->family));
    case 2:
        return drop_second(n->family);
    case 3:
        return transliterate(n->family, sizeof(n->family));
    case 4:
        return transliterate(n->given, sizeof(n->given));
    case 5:
        return drop_second(n->given);
    case 6:
        return hyphenate(n->family);
    default:
        fold_in_place(n->given, sizeof(n->given));
        fold_in_place(n->family, sizeof(n->family));
        upper_ascii(n->given);
        upper_ascii(n->family);
        return 1;
    }
}

void gen_variant_name(gen_rng *rng, const gen_name *in, gen_name *out)
{
    int changes = 0, tries;

    SK_ASSERT(in != NULL && out != NULL);
    *out = *in;
    /* One change always, a second one now and then. */
    for (tries = 0; tries < 8 && changes < 2; tries++) {
        changes += apply_variant(rng, out);
        if (changes == 1 && gen_rng_chance(rng, 0.7))
            break;
    }
    if (strcmp(out->given, in->given) == 0 && strcmp(out->family, in->family) == 0) {
        fold_in_place(out->family, sizeof(out->family));
        upper_ascii(out->family);
    }
}

int64_t gen_variant_dob(gen_rng *rng, int64_t dob)
{
    int64_t y;
    unsigned m, d;
    uint64_t r = gen_rng_below(rng, 100);

    sk_civil_from_days(dob / GEN_DAY, &y, &m, &d);
    if (r < 55)
        return dob;
    if (r < 70)
        return dob + (gen_rng_chance(rng, 0.5) ? GEN_DAY : -GEN_DAY);
    if (r < 80 && d <= 12 && d != m) /* day and month swapped */
        return sk_days_from_civil(y, d, m) * GEN_DAY;
    if (r < 90)
        return 0;                                 /* the other agency has no birth date */
    return sk_days_from_civil(y, 1, 1) * GEN_DAY; /* age estimated: 1 January */
}

void gen_address(gen_rng *rng, size_t city, char out[GEN_ADDR_MAX])
{
    const gen_city *c;
    char apt[16] = "";

    SK_ASSERT(city < gen_city_count);
    c = &gen_cities[city];
    if (gen_rng_chance(rng, 0.4))
        snprintf(apt, sizeof(apt), " Apt %u", (unsigned)gen_rng_range(rng, 1, 40));
    snprintf(out, GEN_ADDR_MAX, "%u %s%s, %s, %s %s%02u", (unsigned)gen_rng_range(rng, 100, 9899),
             gen_streets[gen_rng_below(rng, gen_street_count)], apt, c->name, c->state, c->zip3,
             (unsigned)gen_rng_below(rng, 100));
}

void gen_phone(gen_rng *rng, size_t city, char out[GEN_PHONE_MAX])
{
    const char *ac;
    unsigned line = (unsigned)gen_rng_range(rng, 100, 199); /* 555-0100..0199: fiction */

    SK_ASSERT(city < gen_city_count);
    ac = gen_cities[city].area_code;
    switch (gen_rng_below(rng, 4)) {
    case 0:
        snprintf(out, GEN_PHONE_MAX, "(%s) 555-%04u", ac, line);
        break;
    case 1:
        snprintf(out, GEN_PHONE_MAX, "%s-555-%04u", ac, line);
        break;
    case 2:
        snprintf(out, GEN_PHONE_MAX, "+1 %s 555 %04u", ac, line);
        break;
    default:
        snprintf(out, GEN_PHONE_MAX, "%s555%04u", ac, line);
        break;
    }
}

void gen_a_number(uint64_t seed, uint32_t number, unsigned base, char out[GEN_ANUM_MAX])
{
    /* An affine map modulo 10^8 with a multiplier prime to 10 is a
     * permutation, so numbers never collide however many are drawn. */
    const uint64_t mod = 100000000ull;
    uint64_t offset = seed % mod;
    uint64_t v = ((uint64_t)number * 73939133ull + offset) % mod;

    SK_ASSERT(base >= 1 && base <= 9);
    snprintf(out, GEN_ANUM_MAX, "%u%08llu", base, (unsigned long long)v);
}
