package org.align4j.cli;

import picocli.CommandLine;

final class VersionProvider implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
        String v = Align4j.class.getPackage().getImplementationVersion();
        return new String[] {"align4j " + (v == null ? "dev" : v)};
    }
}
