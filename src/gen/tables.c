/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tables.c: the static data the population is drawn from.
 *
 * Weights follow the public shape of the caseload (countries of origin,
 * border sectors, placement types, where sponsors live), not any real
 * person: the names are common given names and surnames of each region and
 * every street is visibly fictional, so that no generated record can be
 * mistaken for a real one. Languages are ISO 639-3 codes and are chosen per
 * country, so that a Guatemalan child may speak Mam or K'iche' but a
 * Salvadoran child speaks Spanish. The facility network is a pure function
 * of this file, built into caller-owned storage, so that concurrent runs
 * share no mutable state.
 */
#include "gen_int.h"

#include "sk_int.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const char *const l_gt[] = {"spa", "mam", "quc", "kjb", "kek", "cak", "acr", "ixl"};
static const uint16_t w_gt[] = {5200, 1700, 1200, 800, 600, 300, 100, 100};
static const char *const l_hn[] = {"spa", "cab"};
static const uint16_t w_hn[] = {9900, 100};
static const char *const l_spa[] = {"spa"};
static const uint16_t w_one[] = {1};
static const char *const l_mx[] = {"spa", "tzo", "tzh"};
static const uint16_t w_mx[] = {9400, 300, 300};
static const char *const l_ec[] = {"spa", "qug"};
static const uint16_t w_ec[] = {9500, 500};
static const char *const l_pe[] = {"spa", "que"};
static const uint16_t w_pe[] = {9000, 1000};
static const char *const l_in[] = {"pan", "hin", "eng"};
static const uint16_t w_in[] = {6000, 3500, 500};
static const char *const l_ht[] = {"hat", "fra"};
static const uint16_t w_ht[] = {8500, 1500};
static const char *const l_cn[] = {"cmn"};
static const char *const l_br[] = {"por"};
static const char *const l_bz[] = {"eng", "spa"};
static const uint16_t w_bz[] = {7000, 3000};

#define C(code, weight, set, langs, w)                                                             \
    {                                                                                              \
        code, weight, set, langs, w, N(langs)                                                      \
    }

const gen_country gen_countries[] = {
    C("GT", 4500, GEN_NAMES_HISPANIC, l_gt, w_gt),   C("HN", 2500, GEN_NAMES_HISPANIC, l_hn, w_hn),
    C("SV", 1200, GEN_NAMES_HISPANIC, l_spa, w_one), C("MX", 500, GEN_NAMES_HISPANIC, l_mx, w_mx),
    C("EC", 500, GEN_NAMES_HISPANIC, l_ec, w_ec),    C("NI", 230, GEN_NAMES_HISPANIC, l_spa, w_one),
    C("CO", 150, GEN_NAMES_HISPANIC, l_spa, w_one),  C("VE", 120, GEN_NAMES_HISPANIC, l_spa, w_one),
    C("IN", 80, GEN_NAMES_INDIAN, l_in, w_in),       C("HT", 70, GEN_NAMES_HAITIAN, l_ht, w_ht),
    C("CN", 50, GEN_NAMES_CHINESE, l_cn, w_one),     C("BR", 40, GEN_NAMES_BRAZILIAN, l_br, w_one),
    C("PE", 25, GEN_NAMES_HISPANIC, l_pe, w_pe),     C("DO", 15, GEN_NAMES_HISPANIC, l_spa, w_one),
    C("CU", 10, GEN_NAMES_HISPANIC, l_spa, w_one),   C("BZ", 10, GEN_NAMES_HISPANIC, l_bz, w_bz),
};
const size_t gen_country_count = N(gen_countries);

const gen_location gen_locations[] = {
    {"Rio Grande Valley Sector", "CBP-RGV", 3400},
    {"El Paso Sector", "CBP-EPT", 1200},
    {"Del Rio Sector", "CBP-DRT", 1000},
    {"Laredo Sector", "CBP-LRT", 600},
    {"Tucson Sector", "CBP-TCA", 1200},
    {"Yuma Sector", "CBP-YUM", 600},
    {"San Diego Sector", "CBP-SDC", 800},
    {"El Centro Sector", "CBP-ELC", 300},
    {"Big Bend Sector", "CBP-BBT", 100},
    {"San Ysidro Port of Entry", "OFO-SYS", 300},
    {"Hidalgo Port of Entry", "OFO-HID", 250},
    {"Paso del Norte Port of Entry", "OFO-PDN", 250},
};
const size_t gen_location_count = N(gen_locations);

const gen_city gen_cities[] = {
    {"Houston", "TX", "770", "713", "EOIR-HOU", 900},
    {"Dallas", "TX", "752", "214", "EOIR-DAL", 500},
    {"San Antonio", "TX", "782", "210", "EOIR-SNA", 250},
    {"Los Angeles", "CA", "900", "213", "EOIR-LOS", 700},
    {"Riverside", "CA", "925", "951", "EOIR-ADL", 200},
    {"San Francisco", "CA", "941", "415", "EOIR-SFR", 150},
    {"Miami", "FL", "331", "305", "EOIR-MIA", 600},
    {"Orlando", "FL", "328", "407", "EOIR-ORL", 250},
    {"New York", "NY", "100", "212", "EOIR-NYC", 450},
    {"Brooklyn", "NY", "112", "718", "EOIR-NYC", 250},
    {"Hempstead", "NY", "115", "516", "EOIR-NYC", 250},
    {"Newark", "NJ", "071", "973", "EOIR-NEW", 300},
    {"Charlotte", "NC", "282", "704", "EOIR-CHL", 300},
    {"Raleigh", "NC", "276", "919", "EOIR-CHL", 150},
    {"Atlanta", "GA", "303", "404", "EOIR-ATL", 300},
    {"Chicago", "IL", "606", "312", "EOIR-CHI", 250},
    {"Boston", "MA", "021", "617", "EOIR-BOS", 250},
    {"Silver Spring", "MD", "209", "301", "EOIR-HYA", 300},
    {"Alexandria", "VA", "223", "703", "EOIR-ARL", 250},
    {"Nashville", "TN", "372", "615", "EOIR-MEM", 200},
    {"New Orleans", "LA", "701", "504", "EOIR-NOL", 150},
    {"Omaha", "NE", "681", "402", "EOIR-OMA", 100},
    {"Phoenix", "AZ", "850", "602", "EOIR-PHO", 150},
    {"Denver", "CO", "802", "303", "EOIR-DEN", 100},
    {"Seattle", "WA", "981", "206", "EOIR-SEA", 100},
    {"Kansas City", "MO", "641", "816", "EOIR-KAN", 80},
    {"Indianapolis", "IN", "462", "317", "EOIR-CHI", 80},
    {"Minneapolis", "MN", "554", "612", "EOIR-BLM", 60},
    {"Columbus", "OH", "432", "614", "EOIR-CLE", 80},
    {"Salt Lake City", "UT", "841", "801", "EOIR-SLC", 50},
    {"Las Vegas", "NV", "891", "702", "EOIR-LVG", 80},
    {"Philadelphia", "PA", "191", "215", "EOIR-PHI", 100},
};
const size_t gen_city_count = N(gen_cities);

/* Obviously fictional, in both languages of the caseload. */
const char *const gen_streets[] = {
    "Calle Falsa",     "Avenida Ficticia", "Placeholder St", "Sample Rd",    "Example Blvd",
    "Nowhere Ln",      "Imaginary Way",    "Synthetic Dr",   "Mock Ct",      "Pretend Pkwy",
    "Calle Inventada", "Test Loop",        "Faux Ave",       "Invented Rd",  "Dummy St",
    "Camino Simulado", "Fictional Ave",    "Notreal Cir",    "Specimen Hwy", "Calle Ejemplo",
};
const size_t gen_street_count = N(gen_streets);

const char *const gen_month_abbr[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
const char *const gen_month_full[12] = {"January",   "February", "March",    "April",
                                        "May",       "June",     "July",     "August",
                                        "September", "October",  "November", "December"};

/* ---- names ---- */

static const char *const hf[] = {
    "María",   "Ana",      "Sofía",   "Valeria",  "Camila",   "Daniela",   "Gabriela", "Andrea",
    "Lucía",   "Paola",    "Yesenia", "Jennifer", "Karla",    "Wendy",     "Dayana",   "Heidy",
    "Yoselin", "Kimberly", "Rosa",    "Marta",    "Juana",    "Catarina",  "Cristina", "Elena",
    "Isabel",  "Lesly",    "Génesis", "Nayeli",   "Ingrid",   "Dulce",     "Brenda",   "Sandra",
    "Glenda",  "Ximena",   "Yeimy",   "Marisol",  "Fernanda", "Alejandra", "Abigail",  "Josselyn",
};
static const char *const hfc[] = {
    "María Fernanda", "María José",      "Ana Lucía",       "María Isabel",
    "Ana Gabriela",   "Rosa María",      "Karla Patricia",  "Sofía Alejandra",
    "Dulce María",    "Andrea Nicole",   "Ashley Nicole",   "Heidy Yamileth",
    "Yeimy Marisol",  "Ana Sofía",       "Luz María",       "María Elena",
    "Juana Catarina", "Génesis Abigail", "Dayana Michelle", "María de los Ángeles",
};
static const char *const hm[] = {
    "José",     "Juan",      "Carlos",   "Luis",    "Jorge",    "Miguel", "Pedro",   "Mario",
    "Mynor",    "Wilmer",    "Brayan",   "Kevin",   "Jonathan", "Elmer",  "Edwin",   "Erick",
    "Anderson", "Bryan",     "Cristian", "Darwin",  "Diego",    "Ángel",  "Jesús",   "Francisco",
    "Fernando", "Alexander", "Josué",    "Eduardo", "Marvin",   "Santos", "Byron",   "Nelson",
    "Óscar",    "Selvin",    "Henry",    "Wilson",  "Melvin",   "Yeison", "Domingo", "Gaspar",
};
static const char *const hmc[] = {
    "José Luis",   "Juan Carlos",      "Luis Fernando", "Carlos Alberto",  "José Antonio",
    "Juan Pablo",  "Jorge Luis",       "Miguel Ángel",  "José Manuel",     "Luis Ángel",
    "Kevin Josué", "Brayan Alexander", "Edwin Rolando", "Marvin Estuardo", "José Armando",
    "Juan José",   "Óscar René",       "Mynor Alexis",  "Cristian Omar",   "José Daniel",
};
static const char *const hs[] = {
    "García",   "López",    "Pérez",     "Hernández", "González",  "Rodríguez", "Martínez",
    "Ramírez",  "Sánchez",  "Cruz",      "Flores",    "Gómez",     "Morales",   "Vásquez",
    "Reyes",    "Jiménez",  "Díaz",      "Torres",    "Castillo",  "Ortiz",     "Ramos",
    "Mendoza",  "Chávez",   "Aguilar",   "Álvarez",   "Domínguez", "Gutiérrez", "Méndez",
    "Ruiz",     "Ordóñez",  "Juárez",    "Velásquez", "Rivera",    "Romero",    "Herrera",
    "Medina",   "Castro",   "Vargas",    "Mejía",     "Orellana",  "Argueta",   "Zelaya",
    "Escobar",  "Cardona",  "Barrios",   "Estrada",   "Rosales",   "Pineda",    "Lemus",
    "Alvarado", "Figueroa", "Interiano", "Ávila",     "Soto",      "Calderón",  "Quintanilla",
    "Portillo", "Cabrera",  "Fuentes",   "Núñez",
};
static const char *const ms[] = {
    "Pascual", "Xuc",   "Tzoc",   "Tum",    "Cux",     "Ajanel",   "Coc",       "Caal",
    "Choc",    "Pop",   "Ical",   "Tiul",   "Bol",     "Quej",     "Cuc",       "Tzul",
    "Xol",     "Batén", "Sicajá", "Us",     "Mateo",   "Andrés",   "Francisco", "Domingo",
    "Diego",   "Lucas", "Tomás",  "Juan",   "Gaspar",  "Baltazar", "Ixcoy",     "Chun",
    "Cac",     "Yat",   "Maquín", "Tzunún", "Ajcalón", "Chiquín",  "Tz'ul",     "K'anil",
};
static const char *const haf[] = {"Roseline", "Fabienne", "Wideline", "Nadège",  "Guerline",
                                  "Jessica",  "Mirlande", "Sherline", "Djenika", "Esther"};
static const char *const hafc[] = {"Marie Carmel", "Marie Ange", "Rose Merline", "Marie Flore"};
static const char *const ham[] = {"Jean",   "Mackenson", "Wilnes",    "Fritznel", "Kervens",
                                  "Wisler", "Jeff",      "Stevenson", "Dieunel",  "Ricardo"};
static const char *const hamc[] = {"Jean Baptiste", "Jean Pierre", "Jean Robert", "Jean Claude"};
static const char *const has[] = {"Joseph",   "Pierre",   "Jean-Louis", "Saint-Fleur",   "Désir",
                                  "Augustin", "Louis",    "Charles",    "Célestin",      "Dorvil",
                                  "Exantus",  "Baptiste", "Fils-Aimé",  "Jean-Baptiste", "Noël"};
static const char *const inf[] = {"Priya",  "Simran",   "Harpreet", "Manpreet",
                                  "Navjot", "Jaspreet", "Gurleen",  "Anjali"};
static const char *const inm[] = {"Gurpreet", "Arshdeep",   "Jaskaran", "Harjot",    "Rahul",
                                  "Amit",     "Sukhwinder", "Rajveer",  "Lovepreet", "Vikram"};
static const char *const ins[] = {"Singh", "Kaur",   "Patel", "Kumar",   "Sharma",
                                  "Gill",  "Sandhu", "Sidhu", "Dhillon", "Chauhan"};
static const char *const cnf[] = {"Mei", "Ling", "Xin", "Yan", "Jing", "Zihan", "Yuxi", "Ruoxi"};
static const char *const cnm[] = {"Wei", "Hao", "Jun", "Yu", "Jie", "Yichen", "Haoran", "Zihao"};
static const char *const cns[] = {"Chen", "Wang",  "Li",    "Zhang", "Liu",
                                  "Lin",  "Huang", "Zheng", "Wu",    "Zhou"};
static const char *const brf[] = {"Beatriz", "Larissa", "Júlia", "Isabela", "Letícia", "Camila"};
static const char *const brfc[] = {"Ana Clara", "Maria Eduarda", "Ana Júlia", "Maria Luiza"};
static const char *const brm[] = {"Gabriel", "Lucas", "Matheus", "Guilherme", "Rafael", "Thiago"};
static const char *const brmc[] = {"Pedro Henrique", "João Pedro", "João Vitor", "Luiz Felipe"};
static const char *const brs[] = {"Silva",   "Santos", "Oliveira", "Souza",     "Lima",
                                  "Pereira", "Costa",  "Ferreira", "Rodrigues", "Almeida"};

#define L(a)                                                                                       \
    {                                                                                              \
        a, N(a)                                                                                    \
    }
#define NONE                                                                                       \
    {                                                                                              \
        NULL, 0                                                                                    \
    }

const gen_name_tables gen_names[GEN_NAMES__COUNT] = {
    [GEN_NAMES_HISPANIC] = {{L(hf), L(hm)}, {L(hfc), L(hmc)}, L(hs), 40, 95},
    [GEN_NAMES_HAITIAN] = {{L(haf), L(ham)}, {L(hafc), L(hamc)}, L(has), 20, 0},
    [GEN_NAMES_INDIAN] = {{L(inf), L(inm)}, {NONE, NONE}, L(ins), 0, 0},
    [GEN_NAMES_CHINESE] = {{L(cnf), L(cnm)}, {NONE, NONE}, L(cns), 0, 0},
    [GEN_NAMES_BRAZILIAN] = {{L(brf), L(brm)}, {L(brfc), L(brmc)}, L(brs), 35, 70},
};
const gen_name_list gen_mayan_surnames = L(ms);

/* ---- agencies ---- */

static const struct {
    const char *id, *user_prefix, *ref;
} agencies[GEN_AG__COUNT] = {
    [GEN_AG_CBP] = {"CBP", "bp", "e3"},
    [GEN_AG_ORR] = {"ORR", "cm", "UCPortal"},
    [GEN_AG_ICE] = {"ICE", "ero", "EARM"},
    [GEN_AG_EOIR] = {"EOIR", "clerk", "ECAS"},
    [GEN_AG_USCIS] = {"USCIS", "io", "ELIS"},
    [GEN_AG_LSP0 + 0] = {"LSP-KIND", "atty", "LegalServer"},
    [GEN_AG_LSP0 + 1] = {"LSP-ACLU", "atty", "LegalServer"},
    [GEN_AG_LSP0 + 2] = {"LSP-RAICES", "atty", "LegalServer"},
    [GEN_AG_LSP0 + 3] = {"LSP-CAIR", "atty", "LegalServer"},
    [GEN_AG_LSP0 + 4] = {"LSP-ESPERANZA", "atty", "LegalServer"},
    [GEN_AG_LSP0 + 5] = {"LSP-FLORENCE", "atty", "LegalServer"},
    [GEN_AG_LSP0 + 6] = {"LSP-SAFE", "atty", "LegalServer"},
    [GEN_AG_LSP0 + 7] = {"LSP-VERA", "atty", "LegalServer"},
};

const char *gen_agency_id(unsigned agency)
{
    SK_ASSERT(agency < GEN_AG__COUNT);
    return agencies[agency].id;
}

const char *gen_agency_user_prefix(unsigned agency)
{
    SK_ASSERT(agency < GEN_AG__COUNT);
    return agencies[agency].user_prefix;
}

const char *gen_agency_ref(unsigned agency)
{
    SK_ASSERT(agency < GEN_AG__COUNT);
    return agencies[agency].ref;
}

/* ---- weighted picks ---- */

size_t gen_country_pick(gen_rng *rng)
{
    uint16_t w[N(gen_countries)];
    size_t i;

    for (i = 0; i < N(gen_countries); i++)
        w[i] = gen_countries[i].weight;
    return gen_rng_pick(rng, w, N(gen_countries));
}

size_t gen_location_pick(gen_rng *rng)
{
    uint16_t w[N(gen_locations)];
    size_t i;

    for (i = 0; i < N(gen_locations); i++)
        w[i] = gen_locations[i].weight;
    return gen_rng_pick(rng, w, N(gen_locations));
}

size_t gen_city_pick(gen_rng *rng)
{
    uint16_t w[N(gen_cities)];
    size_t i;

    for (i = 0; i < N(gen_cities); i++)
        w[i] = gen_cities[i].weight;
    return gen_rng_pick(rng, w, N(gen_cities));
}

/* Per 1,000 admissions, in sk_placement_types order. */
static const uint16_t placement_weight[] = {780, 30, 10, 90, 15, 15, 5, 5, 40, 10};

unsigned gen_placement_pick(gen_rng *rng)
{
    return (unsigned)gen_rng_pick(rng, placement_weight, N(placement_weight));
}

/* ---- the facility network ---- */

static const struct {
    const char *state, *court;
    uint8_t count;
} fac_states[] = {
    {"TX", "EOIR-HOU", 48}, {"AZ", "EOIR-PHO", 10}, {"CA", "EOIR-LOS", 14}, {"FL", "EOIR-MIA", 10},
    {"IL", "EOIR-CHI", 9},  {"NY", "EOIR-NYC", 16}, {"VA", "EOIR-ARL", 6},  {"PA", "EOIR-PHI", 4},
    {"WA", "EOIR-SEA", 3},  {"MI", "EOIR-DET", 5},  {"NJ", "EOIR-NEW", 3},  {"MD", "EOIR-HYA", 4},
    {"OR", "EOIR-POO", 2},  {"KS", "EOIR-KAN", 2},  {"MA", "EOIR-BOS", 3},  {"GA", "EOIR-ATL", 2},
    {"NC", "EOIR-CHL", 2},  {"CO", "EOIR-DEN", 2},
};

/* Placement types of ordinary facilities, cycled through: mostly shelters.
 * Emergency-influx and out-of-network sites are added separately. */
static const uint8_t fac_pattern[] = {0, 0, 0, 3, 0, 1, 0, 0, 3, 0, 5, 0,
                                      0, 2, 0, 3, 0, 4, 0, 1, 0, 7, 0, 6};

static void fac_add(gen_facnet *net, const char *state, unsigned number, unsigned type,
                    const char *court)
{
    gen_facility *f;

    SK_ASSERT(net->count < GEN_FACILITIES_MAX);
    SK_ASSERT(type < GEN_PLACEMENT_TYPES);
    f = &net->fac[net->count];
    snprintf(f->id, sizeof(f->id), "F-%s-%03u", state, number % 1000);
    memcpy(f->state, state, 3);
    f->type = (uint8_t)type;
    f->court = court;
    SK_ASSERT(net->by_type_count[type] < GEN_FACILITIES_MAX);
    net->by_type[type][net->by_type_count[type]++] = (uint16_t)net->count;
    net->count++;
}

void gen_facnet_build(gen_facnet *net)
{
    size_t s, j, k = 0;

    SK_ASSERT(net != NULL);
    memset(net, 0, sizeof(*net));
    for (s = 0; s < N(fac_states); s++) {
        for (j = 0; j < fac_states[s].count; j++, k++) {
            /* 37 is prime to 97, so numbers within a state never repeat. */
            unsigned number = (unsigned)((j * 37 + s * 11) % 97) + 1;
            fac_add(net, fac_states[s].state, number, fac_pattern[k % N(fac_pattern)],
                    fac_states[s].court);
        }
    }
    for (j = 0; j < 4; j++)
        fac_add(net, "TX", 901 + (unsigned)j, 8, "EOIR-HOU");
    fac_add(net, "CA", 801, 9, "EOIR-LOS");
    fac_add(net, "AZ", 802, 9, "EOIR-PHO");
    fac_add(net, "NY", 803, 9, "EOIR-NYC");
}

size_t gen_facility_pick(const gen_facnet *net, gen_rng *rng, unsigned type, size_t avoid)
{
    size_t n, pick;

    SK_ASSERT(type < GEN_PLACEMENT_TYPES);
    n = net->by_type_count[type];
    SK_ASSERT(n > 0);
    pick = net->by_type[type][gen_rng_below(rng, n)];
    if (pick == avoid) {
        /* Try a shelter elsewhere: there are always many. */
        n = net->by_type_count[0];
        pick = net->by_type[0][gen_rng_below(rng, n)];
        if (pick == avoid)
            pick = net->by_type[0][(size_t)(pick == net->by_type[0][0])];
    }
    return pick;
}
