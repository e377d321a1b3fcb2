/*
 * What libxlsxwriter alone costs for a workbook shaped like keyaudit's report.xlsx at 100,000 keys:
 * a Findings sheet of 170,000 rows x 9 cells and a Keys sheet of 100,000 rows x 25 cells, strings, money,
 * dates and booleans, constant-memory mode. No Swift, no JSON, no audit: the floor under report.xlsx.
 *
 *   cc -O2 scripts/xlsx-floor.c $(pkg-config --cflags --libs xlsxwriter) -o /tmp/xlsx-floor
 *   /usr/bin/time -v /tmp/xlsx-floor /tmp/xlsx-floor.xlsx
 *   KEYS_ONLY=1 /usr/bin/time -v /tmp/xlsx-floor /tmp/xlsx-floor.xlsx     # the Keys sheet alone
 *   /tmp/xlsx-floor /tmp/xlsx-floor.xlsx 300000                           # another size (1.7 findings per key)
 *
 * BENCHMARKS.md quotes it. It is a measuring instrument, not part of the build.
 */
#include <stdio.h>
#include <stdlib.h>
#include <xlsxwriter.h>

int main(int argc, char **argv) {
    const char *path = argc > 1 ? argv[1] : "xlsx-floor.xlsx";
    int keyCount = argc > 2 ? atoi(argv[2]) : 100000;
    if (keyCount <= 0 || keyCount > 10000000) return 2;
    lxw_workbook_options options = {.constant_memory = 1, .tmpdir = NULL, .use_zip64 = 1};
    lxw_workbook *workbook = workbook_new_opt(path, &options);
    if (!workbook) return 1;
    lxw_format *money = workbook_add_format(workbook);
    format_set_num_format(money, "$#,##0.00");
    lxw_format *date = workbook_add_format(workbook);
    format_set_num_format(date, "yyyy-mm-dd hh:mm:ss");
    char text[200];

    lxw_worksheet *findings = workbook_add_worksheet(workbook, "Findings");
    int findingRows = getenv("KEYS_ONLY") ? 0 : keyCount / 10 * 17;
    for (int row = 0; row < findingRows; row++) {
        worksheet_write_string(findings, row, 0, "medium", NULL);
        worksheet_write_string(findings, row, 1, "stale-key", NULL);
        snprintf(text, sizeof text, "growth-prod-%d", row);
        worksheet_write_string(findings, row, 2, text, NULL);
        worksheet_write_string(findings, row, 3, "3e0e09c84da7fc381b2d858a8f3c5a20d6360eab7e331a045da01dd6c7957dd1", NULL);
        worksheet_write_string(findings, row, 4, "Default", NULL);
        snprintf(text, sizeof text,
                 "not reviewed or rotated for %d days (updated_at 2025-02-20T22:44:27Z); the policy allows 90",
                 row % 700);
        worksheet_write_string(findings, row, 5, text, NULL);
        worksheet_write_string(findings, row, 6, "persisting", NULL);
        worksheet_write_number(findings, row, 7, 46000.5 + row * 0.001, date);
        worksheet_write_boolean(findings, row, 8, 0, NULL);
    }

    lxw_worksheet *keys = workbook_add_worksheet(workbook, "Keys");
    for (int row = 0; row < keyCount; row++) {
        snprintf(text, sizeof text, "growth-prod-%d", row);
        worksheet_write_string(keys, row, 0, text, NULL);
        worksheet_write_string(keys, row, 1, "3e0e09c84da7fc381b2d858a8f3c5a20d6360eab7e331a045da01dd6c7957dd1", NULL);
        worksheet_write_string(keys, row, 2, "sk-or-v1-3e0...dd1", NULL);
        worksheet_write_string(keys, row, 3, "Default", NULL);
        worksheet_write_string(keys, row, 4, "0febc8de-0000-4000-8000-000000000000", NULL);
        worksheet_write_boolean(keys, row, 5, 0, NULL);
        for (int column = 6; column < 18; column++)
            worksheet_write_number(keys, row, column, (row * 7 + column) % 1000 / 7.0, money);
        for (int column = 18; column < 22; column++)
            worksheet_write_number(keys, row, column, 46000.5 + row * 0.001, date);
        worksheet_write_string(keys, row, 22, "user_c81e728d9d4c2f636f067f89", NULL);
        worksheet_write_number(keys, row, 24, 2, NULL);
    }
    return workbook_close(workbook) == LXW_NO_ERROR ? 0 : 1;
}
