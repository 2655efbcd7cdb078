package org.sparknmt.jobs.store;

/** Complete model bundles for tests outside this package. */
public final class StoreFixtures {
  private StoreFixtures() {}

  /** Writes the next version of {@code name}: a small trained graph, a placeholder BPE. */
  public static ModelBundle writeBundle(ModelStore store, String name) {
    return ModelStoreTest.complete(store.writer(name), SmallGraphs.trained(3, 2)).commit();
  }
}
