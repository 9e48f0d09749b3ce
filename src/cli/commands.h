#pragma once
int cmd_train(int argc, char **argv);
int cmd_info(int argc, char **argv);
