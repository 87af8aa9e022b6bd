package ferry.sys;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** setpriority on the calling thread's own id: that thread's nice value changes, the rest of the process's does not. */
class ThreadNiceTest {
    @Test
    void settingTheNiceOfOneThreadChangesThatThreadOnlyAsProcReportsIt() throws Exception {
        int me = ThreadNice.tid();
        assumeTrue(me > 0, "no gettid in libc (not Linux): nothing to test");
        int base = ThreadNice.of(me);
        assumeTrue(base < ThreadNice.MAX, "this JVM already runs at nice " + base + ": no higher value to set");
        int want = Math.min(ThreadNice.MAX, base + 3);
        AtomicInteger tid = new AtomicInteger();
        AtomicInteger seen = new AtomicInteger(Integer.MIN_VALUE);
        AtomicReference<String> failed = new AtomicReference<>("not run");
        Thread t = Thread.ofPlatform().start(() -> {
            tid.set(ThreadNice.tid());
            failed.set(ThreadNice.set(want));
            try {
                seen.set(ThreadNice.of(tid.get()));
            } catch (java.io.IOException e) {
                failed.set(e.toString());
            }
        });
        t.join();
        assertThat(failed.get()).isNull();
        assertThat(tid.get()).isPositive().isNotEqualTo(me);
        assertThat(seen.get()).isEqualTo(want);
        assertThat(ThreadNice.of(me)).as("the calling test thread").isEqualTo(base);
    }

    @Test
    void aNiceOutsideLinuxsRangeIsRefusedNamingTheValue() {
        assertThatThrownBy(() -> ThreadNice.set(20)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("20");
        assertThatThrownBy(() -> ThreadNice.set(-21)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("-21");
    }

    @Test
    void procReportsNoThreadThatDoesNotExist() {
        assertThatThrownBy(() -> ThreadNice.of(Integer.MAX_VALUE)).isInstanceOf(java.io.IOException.class);
    }
}
