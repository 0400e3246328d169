/*
 * seed.c: complaintctl seed: made-up residents, field agents and complaints for people to look
 * at and for the benchmarks. Complaints are filed over the last --days days around a city centre,
 * in the categories of the database, with descriptions and addresses in several languages and
 * scripts; each one's past is a path through core/workflow.c's table (every step judged by
 * workflow_judge for its actor, so a seeded history is one the app could have made), and its final
 * state follows its age: new complaints are mostly waiting or in work, old ones mostly closed.
 * Rows go through store/db_seed.c in batches of DB_SEED_BATCH_MAX, one transaction each; accounts
 * through the app's db_account_create. Every seeded account gets the one password hash the caller
 * computed (one argon2id computation for the whole run).
 */
#include "ctl/seed.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "arena.h"
#include "core/account.h"
#include "core/workflow.h"
#include "store/db_accounts.h"
#include "store/db_complaints.h"
#include "store/db_seed.h"

#define SEED_TIME_SIZE 24
#define SEED_TEXT_SIZE 1024
#define SEED_HOUR 3600L
#define SEED_DAY (24 * SEED_HOUR)
#define SEED_FEEDBACK_DAYS 14     /* [workflow] feedback_period's default: older resolutions are closed */

/* xorshift64*: reproducible for a --seed, which no security depends on. */
static uint64_t seed_state;

static uint64_t seed_next(void)
{
	seed_state ^= seed_state >> 12;
	seed_state ^= seed_state << 25;
	seed_state ^= seed_state >> 27;
	return seed_state * 2685821657736338717ull;
}

static double seed_unit(void)
{
	return (double)(seed_next() >> 11) / 9007199254740992.0;
}

static size_t seed_pick(size_t count)
{
	return (size_t)(seed_next() % count);
}

#define SEED_COUNT(array) (sizeof(array) / sizeof(array[0]))
#define SEED_ANY(array) (array[seed_pick(SEED_COUNT(array))])

/* What people write, per category code and language; "%s" is the street. */
static const struct {
	const char *category;
	const char *text;
} seed_texts[] = {
	{"streetlight", "The streetlight outside number %s has been out for a week; the corner is pitch dark at night."},
	{"streetlight", "Farola apagada en %s desde hace días, la acera queda totalmente a oscuras."},
	{"streetlight", "Straßenlaterne in der %s flackert die ganze Nacht und geht dann aus."},
	{"streetlight", "Le lampadaire de la %s reste allumé en plein jour, \"depuis des semaines\"."},
	{"streetlight", "%s 的路灯坏了，晚上很黑，行人很危险。"},
	{"streetlight", "عمود الإنارة في %s لا يعمل منذ أسبوع والشارع مظلم تماما."},
	{"streetlight", "Фонарь на улице %s не горит уже несколько дней."},
	{"water_leak", "Water is pouring out of a broken hydrant on %s, the gutter is flooded."},
	{"water_leak", "Fuga de agua en %s: sale agua del pavimento junto a la parada del autobús."},
	{"water_leak", "Wasserrohrbruch %s, das Wasser läuft über den Gehweg.\nBitte schnell kommen."},
	{"water_leak", "Ο σωλήνας νερού στην οδό %s έχει σπάσει, τρέχει νερό στον δρόμο."},
	{"water_leak", "%s の歩道で水道管から水が漏れています。"},
	{"water_leak", "पानी की पाइपलाइन %s पर फट गई है, सड़क पर पानी भरा है।"},
	{"road_damage", "Deep pothole in the middle of %s, two cyclists fell this week."},
	{"road_damage", "Nid-de-poule énorme dans la %s, près de l'école; les voitures font des écarts."},
	{"road_damage", "Bache profundo en %s, \"peligroso\" para motos."},
	{"road_damage", "Выбоина на проезжей части, %s, напротив аптеки."},
	{"road_damage", "Schlagloch und lose Pflastersteine, %s, Höhe Bäckerei."},
	{"garbage", "Bins on %s not collected since last Tuesday, rubbish all over the pavement."},
	{"garbage", "Contenedores desbordados en %s, huele muy mal."},
	{"garbage", "Dépôt sauvage de meubles et de gravats sur la %s."},
	{"garbage", "تراكم القمامة في %s منذ عدة أيام."},
	{"garbage", "%s 的垃圾桶已经满了好几天没有人清理。"},
	{"drainage", "The drain on %s is blocked; after rain the whole crossing floods."},
	{"drainage", "Gully verstopft in der %s, nach jedem Regen steht das Wasser knöcheltief."},
	{"drainage", "Αποχέτευση βουλωμένη στην %s, έντονη μυρωδιά."},
	{"drainage", "Alcantarilla atascada en %s, mal olor constante."},
	{"other", "A fallen tree branch is blocking half of the footpath on %s."},
	{"other", "Graffiti sur la façade de la bibliothèque, %s, avec des insultes."},
	{"other", "Сломанная скамейка в сквере на %s, торчат гвозди."},
	{"other", "%s の公園のブランコが壊れています。子供が危ないです。"},
};

static const char *const seed_streets[] = {
	"Mill Lane", "Harbour Road", "Station Street", "Kingsway", "Elm Grove", "Canal Walk", "Market Square",
	"Calle Mayor", "Avenida de la Paz", "Calle del Sol", "Rua Augusta", "Rua do Ouro", "Avenida da Liberdade",
	"Hauptstraße", "Bahnhofstraße", "Lindenallee", "Rue de la République", "Boulevard Voltaire", "Rue des Écoles",
	"Οδός Ερμού", "Λεωφόρος Αλεξάνδρας", "улица Ленина", "Садовая улица", "Невский проспект",
	"شارع الملك فيصل", "شارع الجمهورية", "中山路", "人民路", "解放大街", "桜通り", "本町通り",
	"गांधी मार्ग", "नेहरू रोड", "Orchard Row", "Quarry Hill", "Tannery Close", "Weaver Street", "Riverside Drive",
	"Chapel Yard", "Foundry Lane",
};

static const char *const seed_districts[] = {
	"Old Town", "Riverside", "Alfama", "Belém", "Nordstadt", "Centro", "Quartier Latin", "Πλάκα", "Заречье",
	"الحي القديم", "东城区", "中央区",
};

static const char *const seed_first_names[] = {
	"Ana", "João", "Maria", "Lukas", "Chloé", "Omar", "Fatima", "Wei", "Yuki", "Dmitri", "Eleni", "Priya", "Tom",
	"Sofia", "Kwame", "Aiko", "Льоша", "محمد", "小红", "Ελένη",
};

static const char *const seed_last_names[] = {
	"Silva", "Santos", "Müller", "Dubois", "Haddad", "Chen", "Tanaka", "Ivanova", "Papadopoulos", "Sharma",
	"Okafor", "García", "Smith", "Иванов", "العلي", "王", "Παππάς",
};

static const char *const seed_reasons_decline[] = {
	"Not my district.", "Needs a crane: the lighting team should take it.", "On leave this week.",
};
static const char *const seed_reasons_resolve[] = {
	"Repaired today; thank you for telling us.", "Reparado. Gracias por avisar.", "Behoben, danke für die Meldung.",
	"Réparé ce matin.", "已修好，谢谢。", "Готово, спасибо за сообщение.",
};
static const char *const seed_reasons_reopen[] = {
	"It broke again the next evening.", "Sigue igual que antes.", "Es ist immer noch kaputt.",
};
static const char *const seed_reasons_reject[] = {
	"This is private land: not the city's to repair.", "Already reported and fixed last month.",
	"The utility company is responsible: we passed it on.",
};

/* One complaint being made: the row of db_seed.h and the text its pointers point into. */
struct seed_complaint {
	struct db_seed_complaint row;
	char description[SEED_TEXT_SIZE], address[256], lat[16], lon[16];
	char times[DB_SEED_STEPS_MAX + 1][SEED_TIME_SIZE];   /* [0]: filed; [i + 1]: step i */
};

/* A planned outcome: the path of actions from 'submitted' to it. */
struct seed_path {
	const char *closing;          /* what the last step must produce, when it closes */
	enum workflow_action actions[8];
	size_t count;
};

static const struct seed_path seed_paths[] = {
	/* 0 submitted */ {NULL, {WORKFLOW_ASSIGN}, 0},
	/* 1 submitted after a decline */ {NULL, {WORKFLOW_ASSIGN, WORKFLOW_DECLINE}, 2},
	/* 2 assigned */ {NULL, {WORKFLOW_ASSIGN}, 1},
	/* 3 reassigned */ {NULL, {WORKFLOW_ASSIGN, WORKFLOW_REASSIGN}, 2},
	/* 4 reopened */ {NULL, {WORKFLOW_ASSIGN, WORKFLOW_ACCEPT, WORKFLOW_RESOLVE, WORKFLOW_REOPEN}, 4},
	/* 5 in progress */ {NULL, {WORKFLOW_ASSIGN, WORKFLOW_ACCEPT}, 2},
	/* 6 resolved */ {NULL, {WORKFLOW_ASSIGN, WORKFLOW_ACCEPT, WORKFLOW_RESOLVE}, 3},
	/* 7 fixed */ {"fixed", {WORKFLOW_ASSIGN, WORKFLOW_ACCEPT, WORKFLOW_RESOLVE, WORKFLOW_CONFIRM}, 4},
	/* 8 no feedback */ {"no_feedback", {WORKFLOW_ASSIGN, WORKFLOW_ACCEPT, WORKFLOW_RESOLVE, WORKFLOW_AUTO_CLOSE}, 4},
	/* 9 withdrawn */ {"withdrawn", {WORKFLOW_WITHDRAW}, 1},
	/* 10 rejected at once */ {"not_responsible", {WORKFLOW_REJECT}, 1},
	/* 11 rejected in work */ {"no_further_action", {WORKFLOW_ASSIGN, WORKFLOW_REJECT}, 2},
	/* 12 fixed after a reopening */
	{"fixed", {WORKFLOW_ASSIGN, WORKFLOW_ACCEPT, WORKFLOW_RESOLVE, WORKFLOW_REOPEN, WORKFLOW_ACCEPT, WORKFLOW_RESOLVE,
	           WORKFLOW_CONFIRM}, 7},
};

/* Per age band (filed less than max_days ago), the chance in percent of each path above. */
static const struct {
	long max_days;
	unsigned percent[SEED_COUNT(seed_paths)];
} seed_bands[] = {
	{3, {45, 3, 20, 3, 1, 14, 5, 3, 0, 2, 3, 1, 0}},
	{30, {8, 2, 10, 3, 3, 18, 16, 20, 5, 2, 5, 5, 3}},
	{100000, {1, 1, 1, 1, 1, 2, 0, 50, 20, 3, 8, 7, 5}},
};

static void seed_time(time_t at, char out[SEED_TIME_SIZE])
{
	struct tm tm;
	gmtime_r(&at, &tm);
	strftime(out, SEED_TIME_SIZE, "%Y-%m-%d %H:%M:%S", &tm);
}

static size_t seed_path_of(long age_days)
{
	size_t band = 0;
	while (band + 1 < SEED_COUNT(seed_bands) && age_days >= seed_bands[band].max_days)
		band++;
	unsigned roll = (unsigned)seed_pick(100), sum = 0;
	for (size_t i = 0; i < SEED_COUNT(seed_paths); i++) {
		sum += seed_bands[band].percent[i];
		if (roll < sum)
			return i;
	}
	return 0;
}

struct seed_people {
	int64_t admin;
	int64_t *residents, *agents;
	long resident_count, agent_count;
};

/* The reason a step carries (a needed one, or an optional public one), NULL: none. */
static const char *seed_reason(enum workflow_action action)
{
	switch (action) {
	case WORKFLOW_DECLINE: return SEED_ANY(seed_reasons_decline);
	case WORKFLOW_RESOLVE: return SEED_ANY(seed_reasons_resolve);
	case WORKFLOW_REOPEN: return SEED_ANY(seed_reasons_reopen);
	case WORKFLOW_REJECT: return SEED_ANY(seed_reasons_reject);
	case WORKFLOW_UNASSIGN: return "The agent left.";
	default: return NULL;
	}
}

/* The complaint's past along path, its steps each judged by the table: 0, or -1 (a path the
 * table refuses: a defect of this file). */
static int seed_history(struct seed_complaint *c, const struct seed_path *path, const struct seed_people *people,
                        time_t filed, time_t now)
{
	struct db_seed_complaint *row = &c->row;
	enum workflow_state state = WORKFLOW_SUBMITTED;
	int64_t agent = 0;
	time_t at = filed;
	seed_time(filed, c->times[0]);
	row->steps[0] = (struct db_seed_step){"submit", NULL, "submitted", row->reporter_id, c->times[0], NULL};
	row->step_count = 1;
	for (size_t i = 0; i < path->count; i++) {
		enum workflow_action action = path->actions[i];
		const struct workflow_transition *t = NULL;
		unsigned who = WORKFLOW_ADMIN;
		if (action == WORKFLOW_ACCEPT || action == WORKFLOW_DECLINE || action == WORKFLOW_RESOLVE)
			who = WORKFLOW_AGENT;
		else if (action == WORKFLOW_CONFIRM || action == WORKFLOW_REOPEN || action == WORKFLOW_WITHDRAW)
			who = WORKFLOW_REPORTER;
		else if (action == WORKFLOW_AUTO_CLOSE)
			who = WORKFLOW_SYSTEM;
		const char *reason = seed_reason(action);
		/* Seeded agents are never disabled: the rows for an active agent. */
		if (workflow_judge(state, action, who, reason != NULL, true, &t) != WORKFLOW_ALLOWED)
			return -1;
		/* Hours to days between steps, always before now; auto_close after the feedback period. */
		long gap = action == WORKFLOW_AUTO_CLOSE ? SEED_FEEDBACK_DAYS * SEED_DAY
		                                         : SEED_HOUR / 2 + (long)(seed_unit() * seed_unit() * 6 * SEED_DAY);
		long room = (long)(now - at) / (long)(path->count - i + 1);
		if (action != WORKFLOW_AUTO_CLOSE && gap > room)
			gap = room > 1 ? room : 1;
		at += gap;
		if (t->agent == WORKFLOW_AGENT_CHOSEN) {
			int64_t chosen = people->agents[seed_pick((size_t)people->agent_count)];
			if (chosen == agent && people->agent_count > 1)
				chosen = people->agents[(seed_pick((size_t)people->agent_count - 1) + 1 +
				                         (size_t)(chosen - people->agents[0])) % (size_t)people->agent_count];
			agent = chosen;
		} else if (t->agent == WORKFLOW_AGENT_NONE) {
			agent = 0;
		}
		char *when = c->times[row->step_count];
		seed_time(at, when);
		int64_t actor = who == WORKFLOW_AGENT ? agent : who == WORKFLOW_REPORTER ? row->reporter_id
		                                              : who == WORKFLOW_SYSTEM ? 0 : people->admin;
		row->steps[row->step_count++] = (struct db_seed_step){
			workflow_action_name(action), workflow_state_name(state), workflow_state_name(t->to), actor, when, reason};
		if (t->agent == WORKFLOW_AGENT_CHOSEN)
			row->assigned_at = when;
		else if (t->agent == WORKFLOW_AGENT_NONE)
			row->assigned_at = NULL;
		if (t->reopened == WORKFLOW_REOPENED_SET)
			row->reopened_at = when;
		else if (t->reopened == WORKFLOW_REOPENED_CLEAR)
			row->reopened_at = NULL;
		if (t->to == WORKFLOW_RESOLVED) {
			row->resolved_at = when;
			row->update_body = reason;
			row->update_at = when;
		}
		row->closing_reason = t->closing_reason != NULL ? t->closing_reason : path->closing;
		row->closed_at = t->to == WORKFLOW_CLOSED || t->to == WORKFLOW_REJECTED ? when : NULL;
		if (t->to != WORKFLOW_CLOSED && t->to != WORKFLOW_REJECTED)
			row->closing_reason = NULL;
		state = t->to;
	}
	row->agent_id = agent;
	row->status = workflow_state_name(state);
	row->version = (int64_t)path->count;
	row->updated_at = c->times[row->step_count - 1];
	/* The update's author is the agent who resolved: the one assigned at that step. */
	if (row->update_body == NULL || agent == 0)
		row->update_body = NULL;
	return 0;
}

static int seed_complaint(struct seed_complaint *c, const struct seed_options *options,
                          const struct seed_people *people, const struct db_category *categories,
                          size_t category_count, time_t now)
{
	memset(c, 0, sizeof(*c));
	struct db_seed_complaint *row = &c->row;
	/* Filed over the period, more of them recently (the service grew). */
	double u = seed_unit();
	time_t filed = now - 60 - (time_t)(u * u * (double)options->days * SEED_DAY);
	long age_days = (long)((now - filed) / SEED_DAY);
	size_t path = seed_path_of(age_days);
	/* A resolution older than the feedback period has been closed by the timer. */
	if (path == 6 && age_days >= SEED_FEEDBACK_DAYS)
		path = 8;
	if (path == 8 && age_days < SEED_FEEDBACK_DAYS + 1)
		path = 6;
	size_t pick = seed_pick(SEED_COUNT(seed_texts));
	const char *category = seed_texts[pick].category;
	bool known = false;
	for (size_t i = 0; i < category_count; i++)
		known = known || strcmp(categories[i].code, category) == 0;
	row->category_code = known ? category : categories[seed_pick(category_count)].code;
	const char *street = SEED_ANY(seed_streets);
	char place[160];
	snprintf(place, sizeof(place), "%s %u", street, 1 + (unsigned)seed_pick(180));
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	snprintf(c->description, sizeof(c->description), seed_texts[pick].text, place);
#pragma GCC diagnostic pop
	row->description = c->description;
	/* Most have a position; some only an address; most have both. */
	unsigned where = (unsigned)seed_pick(10);
	if (where != 0) {
		/* About 6 km around the centre (a sum of uniforms, close to a normal spread). */
		double dlat = (seed_unit() + seed_unit() + seed_unit() - 1.5) * 0.06;
		double dlon = (seed_unit() + seed_unit() + seed_unit() - 1.5) * 0.08;
		snprintf(c->lat, sizeof(c->lat), "%.6f", options->centre_lat + dlat);
		snprintf(c->lon, sizeof(c->lon), "%.6f", options->centre_lon + dlon);
		row->lat = c->lat;
		row->lon = c->lon;
	}
	if (where < 8) {
		snprintf(c->address, sizeof(c->address), "%s, %s", place, SEED_ANY(seed_districts));
		row->address = c->address;
	}
	row->reporter_id = people->residents[seed_pick((size_t)people->resident_count)];
	randombytes_buf(row->submit_token, sizeof(row->submit_token));
	row->created_at = c->times[0];
	return seed_history(c, &seed_paths[path], people, filed, now);
}

/* count accounts of role, named from the lists, into ids. */
static int seed_accounts(struct db *db, const struct seed_options *options, enum account_role role,
                         const char *kind, const char *tag, int64_t *ids, long count, char *error, size_t error_size)
{
	for (long i = 0; i < count; i++) {
		char name[128], email[160];
		snprintf(name, sizeof(name), "%s %s", SEED_ANY(seed_first_names), SEED_ANY(seed_last_names));
		snprintf(email, sizeof(email), "seed-%s-%s%ld@example.org", tag, kind, i + 1);
		enum db_status status = db_account_create(db, role, name, email, options->password_hash, &ids[i]);
		if (status != DB_OK) {
			snprintf(error, error_size, "seed: account %s: %s", email, db_strerror(status));
			return -1;
		}
	}
	return 0;
}

int seed_run(struct db *db, const struct seed_options *options, FILE *out, char *error, size_t error_size)
{
	struct seed_people people = {.resident_count = options->residents, .agent_count = options->agents};
	struct seed_complaint *batch = calloc(DB_SEED_BATCH_MAX, sizeof(*batch));
	struct db_seed_complaint *rows = calloc(DB_SEED_BATCH_MAX, sizeof(*rows));
	struct db_category categories[DB_CATEGORIES_MAX];
	size_t category_count = 0;
	struct arena *arena = NULL;
	int result = -1;
	people.residents = calloc((size_t)options->residents, sizeof(int64_t));
	people.agents = calloc((size_t)options->agents, sizeof(int64_t));
	if (batch == NULL || rows == NULL || people.residents == NULL || people.agents == NULL) {
		snprintf(error, error_size, "seed: out of memory");
		goto out;
	}
	arena = arena_create(1 << 20);
	if (arena == NULL || db_categories(db, arena, categories, DB_CATEGORIES_MAX, &category_count) != DB_OK ||
	    category_count == 0) {
		snprintf(error, error_size, "seed: the categories could not be read (is the database migrated?)");
		goto out;
	}
	seed_state = options->seed != 0 ? options->seed : 88172645463325252ull;
	/* The run's accounts get emails of their own, so seeding twice adds to the city. */
	char tag[9];
	uint8_t tag_bytes[4];
	randombytes_buf(tag_bytes, sizeof(tag_bytes));
	sodium_bin2hex(tag, sizeof(tag), tag_bytes, sizeof(tag_bytes));
	if (seed_accounts(db, options, ACCOUNT_ADMIN, "admin", tag, &people.admin, 1, error, error_size) != 0 ||
	    seed_accounts(db, options, ACCOUNT_AGENT, "agent", tag, people.agents, options->agents, error,
	                  error_size) != 0 ||
	    seed_accounts(db, options, ACCOUNT_RESIDENT, "resident", tag, people.residents, options->residents, error,
	                  error_size) != 0)
		goto out;
	fprintf(out, "seed: %ld residents, %ld agents and an admin (seed-%s-*@example.org)\n", options->residents,
	        options->agents, tag);
	time_t now = time(NULL);
	struct timespec start, end;
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (long done = 0; done < options->complaints;) {
		size_t count = (size_t)(options->complaints - done < DB_SEED_BATCH_MAX ? options->complaints - done
		                                                                       : DB_SEED_BATCH_MAX);
		for (size_t i = 0; i < count; i++) {
			if (seed_complaint(&batch[i], options, &people, categories, category_count, now) != 0) {
				snprintf(error, error_size, "seed: a made-up history the status table refuses (a defect)");
				goto out;
			}
			rows[i] = batch[i].row;
		}
		enum db_status status = db_seed_complaints(db, rows, count);
		if (status != DB_OK) {
			snprintf(error, error_size, "seed: complaints %ld-%ld: %s", done + 1, done + (long)count,
			         db_strerror(status));
			goto out;
		}
		done += (long)count;
		if (done % 10000 == 0 || done == options->complaints)
			fprintf(out, "seed: %ld complaints\n", done);
	}
	clock_gettime(CLOCK_MONOTONIC, &end);
	fprintf(out, "seed: %ld complaints in %.1f s\n", options->complaints,
	        (double)(end.tv_sec - start.tv_sec) + (double)(end.tv_nsec - start.tv_nsec) / 1e9);
	result = 0;
out:
	if (arena != NULL)
		arena_destroy(arena);
	free(batch);
	free(rows);
	free(people.residents);
	free(people.agents);
	return result;
}
