package org.align4j.reward.sandbox;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the process table from {@code /proc}: which processes belong to a uid or a session. Used
 * to kill a sandbox's whole tree, including processes that were re-parented away from it.
 * Zombies are skipped: they are already dead and only wait to be reaped.
 */
final class ProcFs {

    private static final Path PROC = Path.of("/proc");

    private ProcFs() {
    }

    /** This JVM's effective uid, or -1 when /proc cannot tell. */
    static int effectiveUid() {
        try {
            for (String line : Files.readAllLines(PROC.resolve("self/status"))) {
                if (line.startsWith("Uid:")) {
                    return Integer.parseInt(line.substring(4).trim().split("\\s+")[1]);
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    /** Live processes whose real uid is {@code uid}. */
    static List<Long> pidsWithUid(int uid) {
        List<Long> out = new ArrayList<>();
        for (long pid : pids()) {
            Status s = status(pid);
            if (s != null && !s.zombie && s.realUid == uid) {
                out.add(pid);
            }
        }
        return out;
    }

    /** Threads (tasks) whose real uid is {@code uid}: what RLIMIT_NPROC counts. */
    static int tasksOfUid(int uid) {
        int n = 0;
        for (long pid : pids()) {
            Status s = status(pid);
            if (s != null && s.realUid == uid) {
                n += Math.max(1, s.threads);
            }
        }
        return n;
    }

    /** Live processes in session {@code sid}. */
    static List<Long> pidsInSession(long sid) {
        List<Long> out = new ArrayList<>();
        for (long pid : pids()) {
            try {
                String stat = Files.readString(PROC.resolve(pid + "/stat"));
                // Fields after the command name (which may contain spaces): state ppid pgrp session ...
                String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                if (!f[0].equals("Z") && Long.parseLong(f[3]) == sid) {
                    out.add(pid);
                }
            } catch (IOException | RuntimeException e) {
                // the process ended while we looked
            }
        }
        return out;
    }

    private record Status(int realUid, int threads, boolean zombie) {
    }

    private static Status status(long pid) {
        try {
            int uid = -1;
            int threads = 1;
            boolean zombie = false;
            for (String line : Files.readAllLines(PROC.resolve(pid + "/status"))) {
                if (line.startsWith("Uid:")) {
                    uid = Integer.parseInt(line.substring(4).trim().split("\\s+")[0]);
                } else if (line.startsWith("Threads:")) {
                    threads = Integer.parseInt(line.substring(8).trim());
                } else if (line.startsWith("State:")) {
                    zombie = line.substring(6).trim().startsWith("Z");
                }
            }
            return new Status(uid, threads, zombie);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static List<Long> pids() {
        List<Long> out = new ArrayList<>();
        try (DirectoryStream<Path> dir = Files.newDirectoryStream(PROC)) {
            for (Path p : dir) {
                String name = p.getFileName().toString();
                if (!name.isEmpty() && name.chars().allMatch(Character::isDigit)) {
                    out.add(Long.parseLong(name));
                }
            }
        } catch (IOException e) {
            return out;
        }
        return out;
    }
}
