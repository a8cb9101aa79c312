// The models a message or session may name.
import { AppError } from "../errors.js";
import type { Store } from "../store/index.js";
import type { Model } from "../store/models.js";

export class ModelService {
  constructor(private readonly store: Store) {}

  list(): Promise<Model[]> {
    return this.store.models.list();
  }

  /** The model, or NOT_FOUND naming `field`. */
  async require(id: string, field: string): Promise<Model> {
    const model = await this.store.models.get(id);
    if (!model) throw new AppError("NOT_FOUND", `Model ${id} not found`, field);
    return model;
  }
}
