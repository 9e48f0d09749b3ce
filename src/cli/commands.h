#pragma once
int cmd_train(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_plan(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_fit(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_dist(int argc, char **argv);
int cmd_tickets(int argc, char **argv);
int cmd_concepts(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_sample(int argc, char **argv);
