/* `breachwatch rules check [DIR]` and `rules list [DIR]`: validate a rule
 * directory file by file (file:line:col on error, exit 1) and list the rules. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd.h"
#include "rules/rule.h"

#define RULES_DEFAULT_DIR "rules/default"

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int rules_check(const char *dir)
{
    DIR *d = opendir(dir);
    char *names[RULE_MAX_FILES];
    int n = 0, bad = 0, total = 0;
    if (d == NULL) {
        fprintf(stderr, "breachwatch rules: %s: cannot open directory\n", dir);
        return 1;
    }
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        size_t l = strlen(de->d_name);
        if (de->d_name[0] == '.' || !((l > 5 && strcmp(de->d_name + l - 5, ".yaml") == 0) ||
                                      (l > 4 && strcmp(de->d_name + l - 4, ".yml") == 0)))
            continue;
        if (n == RULE_MAX_FILES) {
            fprintf(stderr, "breachwatch rules: %s: more than %d rule files\n", dir,
                    RULE_MAX_FILES);
            bad = 1;
            break;
        }
        names[n] = strdup(de->d_name);
        if (names[n] == NULL)
            break;
        n++;
    }
    closedir(d);
    qsort(names, (size_t)n, sizeof(names[0]), cmp_str);
    /* one set for all files, so that duplicate ids across files are found */
    struct rule_set *set = rule_set_new();
    for (int i = 0; i < n && set != NULL; i++) {
        char path[1024];
        struct bw_err err;
        size_t before = set->n;
        bw_err_clear(&err);
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        if (rule_set_load_file(set, path, &err) != 0) {
            printf("%s: %s\n", path, "FAILED");
            fprintf(stderr, "%s\n", err.msg);
            bad = 1;
        } else {
            printf("%s: OK (%zu rules)\n", path, set->n - before);
            total += (int)(set->n - before);
        }
        free(names[i]);
    }
    rule_set_unref(set);
    if (!bad)
        printf("%d rules in %d files\n", total, n);
    return bad ? 1 : 0;
}

static int rules_list(const char *dir)
{
    struct bw_err err;
    bw_err_clear(&err);
    struct rule_set *set = rule_set_load_dir(dir, &err);
    if (set == NULL) {
        fprintf(stderr, "breachwatch rules: %s\n", err.msg);
        return 1;
    }
    printf("%-34s %-3s %-24s %s\n", "ID", "SEV", "CHANNELS", "NAME");
    for (size_t i = 0; i < set->n; i++) {
        char ch[256];
        const struct rule *r = &set->v[i];
        printf("%-34s %-3d %-24s %s\n", r->id, r->severity, rule_channels_str(r, ch, sizeof(ch)),
               r->name);
    }
    rule_set_unref(set);
    return 0;
}

int cmd_rules(int argc, char **argv)
{
    if (argc < 2 || argc > 3 || (strcmp(argv[1], "check") != 0 && strcmp(argv[1], "list") != 0)) {
        fprintf(stderr, "usage: breachwatch rules check [DIR] | rules list [DIR]\n"
                        "       (DIR defaults to " RULES_DEFAULT_DIR ")\n");
        return 2;
    }
    const char *dir = argc == 3 ? argv[2] : RULES_DEFAULT_DIR;
    return strcmp(argv[1], "check") == 0 ? rules_check(dir) : rules_list(dir);
}
